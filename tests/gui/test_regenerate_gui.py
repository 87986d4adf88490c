"""Regenerate selection and Variations of the tune in the editor: the bars the selection (or the
cursor's part) covers are rewritten on the generation thread and replace only those bars, as
one undo step; Variations of an open tune are rewrites of its later parts, picked in the
dialog. Over a stand-in rewrite (fast, exact) and once over the shipped model."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from gui_fakes import fake_services
from PySide6.QtGui import QTextCursor

from composeium_desktop.core.abcnotation.bar_spans import tune_spans
from composeium_desktop.core.generation.regenerate import Regeneration
from composeium_desktop.gui.controllers import regenerate as regenerate_controller
from composeium_desktop.gui.widgets.dialogs import VariationsDialog

TUNE = (
    "X:1\nT:The Kesh\nM:6/8\nL:1/8\nR:jig\nK:G\n"
    "|:GAG GAB|ABA ABd|edd gdd|edB dBA|\n"
    "GAG GAB|ABA ABd|edd gdB|AGF G3:|\n"
    "|:BAB dBd|ege dBA|BAB dBG|ABA AGA|\n"
    "BAB dBd|ege dBd|gfg aga|bgf g3:|\n"
)


def swapped(text: str, first: int, last: int, seed: int) -> Regeneration:
    """A stand-in rewrite: the notes of bars first-last an octave away (swapped case)."""
    bars = tune_spans(text).numbered(first, last)
    start = bars[0].start + len(text[bars[0].start :]) - len(text[bars[0].start :].lstrip())
    end = bars[-1].close
    replacement = text[start:end].swapcase()
    new = text[:start] + replacement + text[end:]
    return Regeneration(new, first, last, start, end, replacement, seed, -float(seed), -1.0)


class StandInRewrite:
    """Records what it was asked for and answers ``count`` swapped rewrites, best first."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int, int]] = []

    def __call__(
        self,
        generator: Any,
        cancelled: Callable[[], bool],
        progress: Callable[[int, int], None],
        *,
        text: str,
        first: int,
        last: int,
        seed: int | None,
        count: int,
    ) -> tuple[Regeneration, ...]:
        self.asked.append((first, last, count))
        found = []
        for index in range(count):
            found.append(swapped(text, first, last, index))
            progress(index + 1, count)
        return tuple(found)


@pytest.fixture
def rewrite() -> StandInRewrite:
    return StandInRewrite()


@pytest.fixture
def window(make_window, tmp_path, rewrite, qtbot):
    services = dataclasses.replace(fake_services(), regenerate=rewrite)
    w = make_window(services)
    w.start_background_work(tmp_path, offer_restore=False)
    qtbot.waitUntil(lambda: w.compose.generation.model_state == "ready", timeout=10_000)
    w.editor.setPlainText(TUNE)
    return w


def _select(window, start: int, end: int) -> None:
    cursor = window.editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)


def _one_undo_restores(window, text: str) -> None:
    """The tune was set with setPlainText (no undo history): one Undo gives it back and
    there is nothing more to undo; Redo brings the new bars back."""
    window.undo_action.trigger()
    assert window.editor.toPlainText() == TUNE
    assert not window.editor.document().isUndoAvailable()
    window.redo_action.trigger()
    assert window.editor.toPlainText() == text


def _run(qtbot, window, action: Callable[[], None]) -> None:
    with qtbot.waitSignal(window.compose.generation.job_done, timeout=20_000):
        action()
    qtbot.waitUntil(lambda: not window.compose.busy, timeout=5_000)


def test_the_selected_bars_are_rewritten_as_one_undo_step(qtbot, window, rewrite) -> None:
    spans = tune_spans(TUNE)
    bar5, bar6 = spans.numbered(5, 6)
    _select(window, bar5.start + 2, bar6.start + 3)  # from inside bar 5 to inside bar 6
    _run(qtbot, window, window.regenerate_action.trigger)
    assert rewrite.asked == [(5, 6, regenerate_controller.CANDIDATES)]
    text = window.editor.toPlainText()
    assert text == swapped(TUNE, 5, 6, 0).text
    assert text[: bar5.start] == TUNE[: bar5.start]
    assert text[bar6.close :] == TUNE[bar6.close :]
    assert text[bar5.start : bar6.close] != TUNE[bar5.start : bar6.close]
    assert not window.editor.isReadOnly()
    _one_undo_restores(window, text)


def test_without_a_selection_the_cursors_part_is_rewritten(qtbot, window, rewrite) -> None:
    bar11 = tune_spans(TUNE).numbered(11, 11)[0]
    _select(window, bar11.start + 1, bar11.start + 1)
    _run(qtbot, window, window.compose.regenerator.regenerate_selection)
    assert rewrite.asked[-1][:2] == (9, 16)
    assert window.editor.toPlainText() == swapped(TUNE, 9, 16, 0).text


def test_without_a_selection_the_looped_bars_are_rewritten(qtbot, window, rewrite) -> None:
    bar2, bar3 = tune_spans(TUNE).numbered(2, 3)
    window.editor.set_loop_range(bar2.start, bar3.close)  # a loop set in the score
    _select(window, 0, 0)
    _run(qtbot, window, window.regenerate_action.trigger)
    assert rewrite.asked[-1][:2] == (2, 3)
    assert window.editor.toPlainText() == swapped(TUNE, 2, 3, 0).text


def test_stop_while_rewriting_leaves_the_tune_as_it_was(qtbot, make_window, tmp_path) -> None:
    started = threading.Event()

    def held(generator: Any, cancelled: Callable[[], bool], progress: Any, **_: Any) -> tuple:
        started.set()
        while not cancelled():
            time.sleep(0.005)
        return ()

    window = make_window(dataclasses.replace(fake_services(), regenerate=held))
    window.start_background_work(tmp_path, offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)
    window.editor.setPlainText(TUNE)
    ended: list[int] = []
    window.compose.generation.job_ended.connect(ended.append)
    _select(window, TUNE.index("ABA"), TUNE.index("ABA"))  # the caret in the A part
    window.regenerate_action.trigger()
    qtbot.waitUntil(started.is_set, timeout=10_000)
    assert window.editor.isReadOnly() and window.compose.busy
    window.panel.stop_button.click()
    assert not window.compose.busy and not window.editor.isReadOnly()
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    assert window.editor.toPlainText() == TUNE


def test_a_selection_outside_the_bars_explains(qtbot, window, rewrite) -> None:
    _select(window, 0, 5)  # inside the header
    window.regenerate_action.trigger()
    assert "Cannot regenerate" in window.last_error
    assert rewrite.asked == [] and not window.compose.busy


def test_variations_of_the_open_tune_keep_its_a_part(qtbot, window, rewrite, monkeypatch) -> None:
    shown: list[str] = []

    def pick_second(dialog: VariationsDialog) -> int:
        shown.extend(dialog._entries[i].abc for i in range(dialog.list.count()))
        dialog.list.setCurrentRow(1)
        # The preview shows the tune with the new bars selected.
        new = swapped(TUNE, 9, 16, 1)
        assert dialog.preview.textCursor().selectedText() == new.replacement.replace("\n", "\u2029")
        return VariationsDialog.DialogCode.Accepted

    monkeypatch.setattr(VariationsDialog, "exec", pick_second)
    window.panel.variations_spin.setValue(3)
    _run(qtbot, window, window.panel.variations_button.click)
    assert rewrite.asked == [(9, 16, 3)]
    b_part = tune_spans(TUNE).numbered(9, 9)[0].start
    assert len(shown) == 3 and all(abc[:b_part] == TUNE[:b_part] for abc in shown)
    assert window.editor.toPlainText() == swapped(TUNE, 9, 16, 1).text
    _one_undo_restores(window, window.editor.toPlainText())


def test_variations_with_no_tune_open_write_new_tunes(qtbot, window, rewrite, monkeypatch) -> None:
    monkeypatch.setattr(VariationsDialog, "exec", lambda _d: VariationsDialog.DialogCode.Rejected)
    window.editor.setPlainText("")
    with qtbot.waitSignal(window.compose.generation.variations_ready, timeout=10_000):
        window.panel.variations_button.click()
    assert rewrite.asked == []


def test_regenerate_with_the_shipped_model(qtbot, make_window, tmp_path, monkeypatch) -> None:
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.paths import model_dir

    monkeypatch.setattr(regenerate_controller, "CANDIDATES", 2)
    services = dataclasses.replace(fake_services(), load_generator=lambda _d: Generator.load())
    window = make_window(services)
    window.start_background_work(model_dir(), offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=60_000)
    window.editor.setPlainText(TUNE)
    bar3, bar4 = tune_spans(TUNE).numbered(3, 4)
    _select(window, bar3.start, bar4.close)
    _run(qtbot, window, window.regenerate_action.trigger)
    text = window.editor.toPlainText()
    after = tune_spans(text)
    assert text[: bar3.start] == TUNE[: bar3.start]
    assert text.endswith(TUNE[bar4.close :])
    assert [b.closing for b in after.bars] == [b.closing for b in tune_spans(TUNE).bars]
    assert text != TUNE
    _one_undo_restores(window, text)
