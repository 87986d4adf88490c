"""The Form field: it follows the genre (a reel's AABB, 8+8; an air's Free) until the user
writes another form, and the request the window sends carries the form it shows."""

from __future__ import annotations

import dataclasses

import pytest
from gui_fakes import FakeGenerator, fake_services

from composeium_desktop.core.generation.form_plan import FormPlan
from composeium_desktop.gui.widgets.metadata_panel import FormChoices


@pytest.fixture
def recorded(qtbot, make_window, tmp_path):
    generator = FakeGenerator()
    # Genres with and without a form of their own (the stand-ins offer dance genres only).
    genres = FormChoices(genres=("reel", "jig", "hornpipe", "waltz", "air"))
    services = dataclasses.replace(fake_services(generator), form_choices=lambda: genres)
    window = make_window(services)
    window.panel.set_choices(genres)
    window.start_background_work(tmp_path, offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)
    return window, generator


def _generate(qtbot, window) -> None:
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.panel.generate_button.click()


def test_form_follows_the_genre_into_the_request(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    panel.genre_combo.setCurrentText("reel")
    assert panel.form_combo.currentText() == "AABB, 8+8"
    assert "reel" in panel.form_note.text()
    _generate(qtbot, window)
    assert generator.requests[-1].form == FormPlan("AABB", 8, True)
    assert generator.requests[-1].bars is None
    panel.genre_combo.setCurrentText("air")
    assert panel.form_combo.currentText() == "Free"
    _generate(qtbot, window)
    assert generator.requests[-1].form is None


def test_a_form_the_user_writes_is_kept_across_genres(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    panel.genre_combo.setCurrentText("reel")
    panel.form_combo.setCurrentText("AB, 16+16")
    panel.form_combo.activated.emit(0)  # as a choice from the list does
    panel.genre_combo.setCurrentText("air")
    assert panel.form_combo.currentText() == "AB, 16+16"
    assert "Your form" in panel.form_note.text()
    _generate(qtbot, window)
    assert generator.requests[-1].form == FormPlan("AB", 16, True)


def test_bars_make_the_form_free(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    panel.genre_combo.setCurrentText("jig")
    panel.bars_spin.setValue(24)
    assert panel.form_combo.currentText() == "Free"
    _generate(qtbot, window)
    assert (generator.requests[-1].form, generator.requests[-1].bars) == (None, 24)


def test_an_unreadable_form_is_reported_not_sent(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    panel.form_combo.setCurrentText("AABA")
    panel.form_combo.activated.emit(0)
    sent = len(generator.requests)
    with qtbot.waitSignal(window.compose.error, timeout=5_000) as blocker:
        panel.generate_button.click()
    assert "AABA" in blocker.args[0]
    assert len(generator.requests) == sent
