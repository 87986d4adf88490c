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


def test_endings_and_a_returning_part_are_written_in_the_field(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    for text, plan in (
        ("AABB 8+8 endings 1", FormPlan("AABB", 8, True, 1)),
        ("AABA 8", FormPlan("AABA", 8)),
    ):
        panel.form_combo.setCurrentText(text)
        panel.form_combo.activated.emit(0)
        _generate(qtbot, window)
        assert generator.requests[-1].form == plan


def test_an_unreadable_form_is_reported_not_sent(qtbot, recorded) -> None:
    window, generator = recorded
    panel = window.panel
    panel.form_combo.setCurrentText("ABAC")
    panel.form_combo.activated.emit(0)
    sent = len(generator.requests)
    with qtbot.waitSignal(window.compose.error, timeout=5_000) as blocker:
        panel.generate_button.click()
    assert "ABAC" in blocker.args[0]
    assert len(generator.requests) == sent


def test_a_genre_with_few_tunes_says_whose_rules_it_borrows(qtbot, recorded) -> None:
    window, _ = recorded
    panel = window.panel
    borrowed = FormChoices(
        meters=("2/4", "3/4", "4/4"),
        genres=("reel", "polka", "waltz"),
        borrowed=(("2/4", "polka", "reel in 2/4"), ("3/4", "waltz", "air in 3/4")),
    )
    panel.set_choices(borrowed)
    panel.meter_combo.setCurrentText("2/4")
    panel.genre_combo.setCurrentText("polka")
    assert "the rules of reel in 2/4" in panel.form_note.text()
    panel.meter_combo.setCurrentText("3/4")
    assert "reel" not in panel.form_note.text()  # no polkas' rules borrowed in 3/4
    panel.genre_combo.setCurrentText("waltz")
    assert "the rules of air in 3/4" in panel.form_note.text()
    panel.genre_combo.setCurrentText("reel")
    assert "rules of" not in panel.form_note.text()


def test_the_shipped_choices_name_the_borrowed_rules() -> None:
    from composeium_desktop.gui.services import _form_choices

    borrowed = {(m, g): whose for m, g, whose in _form_choices().borrowed}
    assert borrowed.get(("2/4", "polka")) == "reel in 2/4"
    assert borrowed.get(("3/4", "waltz")) == "air in 3/4"
    assert ("6/8", "jig") not in borrowed
