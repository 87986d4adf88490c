"""Compose > Generate again with these settings, and the nearest corpus tune: a generated tune
records the seed it was written with (a random one too) and its settings; Generate again
shows them in the form and asks the generator for exactly that request; a tune without
provenance leaves the action disabled and says why; the nearest corpus tune is looked up off
the GUI thread and a near copy is shown as a warning. Over the stand-in generator."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from gui_fakes import FakeGenerator, fake_services

from composeium_desktop.core.evaluation.originality import NearestTune
from composeium_desktop.core.generation.provenance import read_provenance

PLAIN_TUNE = "X:1\nT:Plain\nM:6/8\nL:1/8\nK:D\n|:d2e f2g|a2f d3:|\n"


class StandInNearest:
    """Answers a fixed nearest tune and records the thread each lookup ran on."""

    def __init__(self, similarity: float) -> None:
        self.similarity = similarity
        self.threads: list[threading.Thread] = []

    def __call__(self, model_dir: Any, abc: str) -> NearestTune:
        self.threads.append(threading.current_thread())
        return NearestTune("The Kesh", "oneills1850", self.similarity, "train", 3)


@pytest.fixture
def generator() -> FakeGenerator:
    return FakeGenerator()


def _window(make_window, tmp_path, qtbot, generator: FakeGenerator, nearest: StandInNearest):
    services = dataclasses.replace(fake_services(generator), nearest_tune=nearest)
    window = make_window(services)
    window.start_background_work(tmp_path, offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)
    return window


def _generate(qtbot, window, trigger) -> str:
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000) as finished:
        trigger()
    return finished.args[0]


def test_a_random_seed_is_recorded_and_generate_again_repeats_the_request(
    make_window, tmp_path, qtbot, generator
) -> None:
    window = _window(make_window, tmp_path, qtbot, generator, StandInNearest(0.41))
    panel = window.panel
    panel.new_seed_check.setChecked(True)
    panel.chords_check.setChecked(False)
    text = _generate(qtbot, window, window.compose.generate)
    first = generator.requests[-1]
    recorded = read_provenance(text)
    assert recorded is not None
    assert recorded.request == first  # the seed drawn is the one recorded
    assert recorded.request.seed == panel.seed_spin.value()
    assert window.provenance.again_action.isEnabled()

    # The form moves on (another seed, temperature, title) ...
    panel.seed_spin.setValue(first.seed + 1)
    panel.new_seed_check.setChecked(True)
    panel.creativity_spin.setValue(0.5)
    panel.title_edit.setText("Something else")
    # ... and Generate again asks for exactly the recorded request, shown in the form.
    _generate(qtbot, window, window.provenance.again_action.trigger)
    assert generator.requests[-1] == first
    assert panel.seed_spin.value() == first.seed
    assert not panel.new_seed_check.isChecked()
    assert panel.creativity_spin.value() == pytest.approx(first.temperature)
    assert panel.title_edit.text() == first.title
    again = read_provenance(window.editor.toPlainText())
    assert again is not None and again.request == first


def test_a_tune_without_provenance_disables_the_action_and_says_why(
    make_window, tmp_path, qtbot, generator
) -> None:
    window = _window(make_window, tmp_path, qtbot, generator, StandInNearest(0.3))
    window.editor.setPlainText(PLAIN_TUNE)
    action = window.provenance.again_action
    assert not action.isEnabled()
    assert "records no settings" in action.toolTip()
    errors: list[str] = []
    window.provenance.error.connect(errors.append)
    window.provenance.generate_again()
    assert errors and "records no settings" in errors[0]
    assert generator.requests == []


def test_the_nearest_corpus_tune_is_shown_off_the_gui_thread(
    make_window, tmp_path, qtbot, generator
) -> None:
    nearest = StandInNearest(0.43)
    window = _window(make_window, tmp_path, qtbot, generator, nearest)
    _generate(qtbot, window, window.compose.generate)
    label = window.provenance.nearest_label
    # The new tune is engraved first: the lookup waits rather than take the CPU from it.
    assert not nearest.threads and label.text() == "Nearest corpus tune: looking…"
    qtbot.waitUntil(lambda: "The Kesh" in label.text(), timeout=10_000)
    assert label.text() == "Nearest corpus tune: The Kesh (oneills1850), similarity 0.43"
    assert "Near copy" not in label.text()
    assert nearest.threads and nearest.threads[0] is not threading.main_thread()


def test_a_near_copy_is_a_visible_warning(make_window, tmp_path, qtbot, generator) -> None:
    window = _window(make_window, tmp_path, qtbot, generator, StandInNearest(0.93))
    _generate(qtbot, window, window.compose.generate)
    label = window.provenance.nearest_label
    qtbot.waitUntil(lambda: "The Kesh" in label.text(), timeout=10_000)
    assert "Near copy" in label.text() and "0.93" in label.text()
    assert "#a2191f" in label.styleSheet()


def test_continuing_a_tune_drops_its_provenance(make_window, tmp_path, qtbot, generator) -> None:
    window = _window(make_window, tmp_path, qtbot, generator, StandInNearest(0.3))
    window.panel.chords_check.setChecked(False)
    text = _generate(qtbot, window, window.compose.generate)
    assert read_provenance(text) is not None
    body_start = text.index("\n", text.index("\nK:") + 1) + 1
    cursor = window.editor.textCursor()
    cursor.setPosition(body_start + 5)
    window.editor.setTextCursor(cursor)
    continued = _generate(qtbot, window, window.compose.continue_from_cursor)
    assert read_provenance(continued) is None
    assert "N:Composeium" not in continued
    assert continued.startswith(text[: text.index("N:Composeium")])
    assert not window.provenance.again_action.isEnabled()
