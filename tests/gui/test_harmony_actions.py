"""Compose -> Add chords / Remove chords on the tune under the cursor, undoable."""

from __future__ import annotations

from composeium_desktop.core.harmony.text import strip_chords
from composeium_desktop.gui.controllers.harmony import HarmonyController
from composeium_desktop.gui.widgets.abc_editor import ABCEditor

BOOK = (
    "X:1\nT:One\nM:4/4\nL:1/8\nK:G\n|GBdB GBdB|cegc' ecge|dfad' afdf|g2 d2 G4|]\n\n"
    "X:2\nT:Two\nM:4/4\nL:1/8\nK:D\n|DFAF DFAF|GBdB GBdB|A2 A2 A4|D8|]\n"
)


def test_add_and_remove_chords_are_undoable_and_touch_one_tune(qtbot) -> None:
    editor = ABCEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(BOOK)
    cursor = editor.textCursor()
    cursor.setPosition(BOOK.index("T:Two"))
    editor.setTextCursor(cursor)
    harmony = HarmonyController(editor)
    with qtbot.waitSignal(harmony.status):
        assert harmony.add_chords()
    text = editor.toPlainText()
    first, second = text.split("X:2")
    assert '"' not in first and '"D"' in second and '"G"' in second
    assert strip_chords(text) == BOOK
    with qtbot.waitSignal(harmony.status):
        assert harmony.remove_chords()
    assert editor.toPlainText() == BOOK
    editor.undo()
    assert editor.toPlainText() == text
    editor.undo()
    assert editor.toPlainText() == BOOK


def test_a_tune_that_does_not_read_is_reported(qtbot) -> None:
    editor = ABCEditor()
    qtbot.addWidget(editor)
    editor.setPlainText("X:1\nT:Bad\nM:4/4\nK:G\n|GA[B c|]\n")
    harmony = HarmonyController(editor)
    with qtbot.waitSignal(harmony.error) as blocker:
        assert not harmony.add_chords()
    assert "Cannot add chords" in blocker.args[0]
