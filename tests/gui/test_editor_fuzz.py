"""A typist cannot break the editor.

The real editor in the real MainWindow (the real Verovio worker, the notation core's error
marks) gets a fixed, seeded sequence of random typing, deletions, selections replaced,
pastes and undos: good ABC, malformed ABC, whole tunes (so the editor holds a book), header
damage and fragments that crashed Verovio before the render path learnt to refuse them. No
exception may escape into Qt, no wait may hang, and at every checkpoint the score on screen is
exactly the last successful render, of the text the score controller last sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
START = (EXAMPLES / "bucks-of-oranmore.abc").read_text(encoding="utf-8")
STEPS = 360
CHECK_EVERY = 30
SEED = 16

GOOD = [
    "ABcd efga|",
    "d2e f2g|",
    "|:GAB c2d:|",
    "[CEG]2 [DFA]2|",
    '"G"B2d "D"A2F|',
    "(3abc d2|",
    "{g}A2 ~B2|",
    "z4 z2 x2|",
    "A/B/c/d/ e>f|",
    "|1 ABc :|2 cBA ||",
    "!trill!c2 .d2 Hc|",
    "[P:A]y0|: dfa afd :|",
    "\nw: la la la la\n",
    "\n%%MIDI program 1\n",
    "[K:Em] E2F G2A|",
    "abc\\\ndef|",
]
MALFORMED = [
    "[",
    "]",
    "(",
    "{",
    '"',
    "!",
    "[K:",
    "[[[",
    "|]]]",
    'a"C',
    "^^^^",
    "A////",
    "z0",
    "K:Q#zz",
    "\nM:13/0\n",
    "\nL:1/0\n",
    "\nQ:1/4=(20\n",
    ":|1B:|",
    "&&&",
    "é♯𝄞",
    "\x07\x1b",
    "\t\t",
]
# Each of these killed Verovio's ABC importer (tests/core/render/test_render.py keeps the list).
VEROVIO_CRASHERS = [
    "|:A:|1B:|",
    "|:A|1B:|2C:|",
    "|:ABc:|:Bcd:|",
    "ABc dcB:|1 A3:|",
    'B2G/A2F`"%G"G3 G3:|',
    '|:A3 G3:|[2"G"(A3 GA||',
    "A! G3!|2B|",
    "[|:ABc:|",
    "|:|ABc:|",
    "ABcd efga|1",
    "G3:|w|:  |  c:|",
    "\nK:\n\nG\n",
    "\nX:\nT:t\nK:G\nabc|\n",
]
TUNES = [
    "\nX:2\nT:Second\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n",
    "\n\nX:3\nT:Third\nM:3/4\nK:Am\nA2 c2 e2|]\n",
]
FRAGMENTS = GOOD + MALFORMED + VEROVIO_CRASHERS + TUNES


@dataclass
class RenderLog:
    """What the score controller reported: every success (its result) and failure (its text)."""

    good: list[Any] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    answers: int = 0
    last_answer_good: bool = False

    def on_rendered(self, result: Any) -> None:
        self.good.append(result)
        self.answers += 1
        self.last_answer_good = True

    def on_failed(self, message: str) -> None:
        self.failures.append(message)
        self.answers += 1
        self.last_answer_good = False


def _paste(qtbot: Any, editor: Any, text: str) -> None:
    QApplication.clipboard().setText(text)
    qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def _type(qtbot: Any, editor: Any, text: str) -> None:
    if not all(" " <= c <= "~" or c in "\n\t" for c in text):
        _paste(qtbot, editor, text)  # QTest types ASCII only; other text arrives as an IME's would
        return
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        if line:
            qtbot.keyClicks(editor, line)


def _place_cursor(editor: Any, rng: random.Random, select: bool) -> None:
    length = len(editor.toPlainText())
    cursor = editor.textCursor()
    cursor.setPosition(rng.randint(0, length))
    if select:
        end = min(length, cursor.position() + rng.randint(1, 40))
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def _step(qtbot: Any, editor: Any, rng: random.Random) -> None:
    action = rng.choices(
        ("type", "backspace", "delete", "replace", "paste", "undo"), (5, 2, 1, 2, 3, 1)
    )[0]
    _place_cursor(editor, rng, select=action == "replace")
    if action == "type":
        _type(qtbot, editor, rng.choice(FRAGMENTS))
    elif action in ("backspace", "delete"):
        key = Qt.Key.Key_Backspace if action == "backspace" else Qt.Key.Key_Delete
        for _ in range(rng.randint(1, 12)):
            qtbot.keyClick(editor, key)
    elif action == "replace":
        _type(qtbot, editor, rng.choice(FRAGMENTS))
    elif action == "paste":
        _paste(qtbot, editor, rng.choice(FRAGMENTS) * rng.randint(1, 3))
    else:
        qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()  # debounced renders and marks fire while typing goes on


def _settle(qtbot: Any, window: Any, log: RenderLog) -> None:
    """Render the current text now and wait for the worker's answer to it."""
    if not window.editor.toPlainText().strip():
        window.score.refresh_now()  # an empty editor sends nothing and clears the score
        return
    before = log.answers
    window.score.refresh_now()
    qtbot.waitUntil(lambda: log.answers > before, timeout=30_000)


def _check_score(window: Any, log: RenderLog) -> None:
    """The score shows the last successful render; after a failure it still does."""
    view, score = window.score_view, window.score
    text = window.editor.toPlainText()
    if not text.strip():
        assert not view.has_score()
        log.good.append(None)  # the editor was emptied: the cleared score is the new baseline
        return
    last = log.good[-1] if log.good else None
    if last is None:
        assert not view.has_score()  # nothing has engraved since the editor was emptied
        return
    assert view.shown_pages == tuple(last.pages)
    assert score.result is last
    if log.last_answer_good:  # the score is of the current text: its notes point into it
        lines = text.split("\n")
        assert all(1 <= int(line) <= len(lines) for line, _col in last.positions.values())


def test_random_typing_deleting_and_pasting_never_breaks_the_editor(qtbot, make_window) -> None:
    window = make_window()
    editor = window.editor
    log = RenderLog()
    window.score.rendered.connect(log.on_rendered)
    window.score.render_failed.connect(log.on_failed)
    rng = random.Random(SEED)
    with qtbot.capture_exceptions() as exceptions:
        with qtbot.waitSignal(window.score.rendered, timeout=60_000):
            editor.setPlainText(START)
        editor.setFocus()
        for step in range(1, STEPS + 1):
            _step(qtbot, editor, rng)
            if step % CHECK_EVERY == 0:
                _settle(qtbot, window, log)
                _check_score(window, log)
        _settle(qtbot, window, log)
        _check_score(window, log)
    assert exceptions == [], exceptions
    assert not [m for m in log.failures if m.startswith("Validation failed")], log.failures
    # The sequence exercised both paths: new scores drawn and refused edits kept the old one.
    assert len([r for r in log.good if r is not None]) >= 5
    assert len(log.failures) >= 3, log.failures
    assert not [m for m in log.failures if "Traceback" in m]
