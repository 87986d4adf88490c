"""The ABC editor on its own: error marks, highlighting, undo of whole-text replacements."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent, QTextCharFormat
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from composeium_desktop.gui.widgets.abc_editor import ABCEditor, ErrorMark
from composeium_desktop.gui.widgets.abc_highlighter import FORMATS

TUNE = "X:1\nT:Test\nK:D\n|:d2e f2g|a2f d3:|\n"


def _editor(qtbot) -> ABCEditor:
    editor = ABCEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(TUNE)
    return editor


def test_error_mark_underlines_the_column(qtbot) -> None:
    editor = _editor(qtbot)
    editor.set_errors((ErrorMark(4, 6, "bar too long"),))
    marks = [
        s
        for s in editor.extraSelections()
        if s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    ]
    assert len(marks) == 1
    cursor = marks[0].cursor
    assert cursor.blockNumber() == 3
    assert cursor.selectionStart() - cursor.block().position() == 5
    assert marks[0].format.toolTip() == "bar too long"
    assert editor.error_message_at_line(4) == "line 4, column 6: bar too long"
    editor.set_errors(())
    assert editor.error_message_at_line(4) == ""


def test_mark_beyond_the_text_is_ignored(qtbot) -> None:
    editor = _editor(qtbot)
    editor.set_errors((ErrorMark(40, 2, "nowhere"), ErrorMark(4, 999, "past the end")))
    assert editor.errors[0].line == 40


def test_highlighter_colours_fields_and_bars(qtbot) -> None:
    editor = _editor(qtbot)
    formats = editor.document().findBlockByNumber(3).layout().formats()
    colours = {(f.start, f.format.foreground().color().name()) for f in formats}
    assert (0, FORMATS["bar"].foreground().color().name()) in colours
    header = editor.document().findBlockByNumber(0).layout().formats()
    assert header[0].format.foreground().color() == FORMATS["field_name"].foreground().color()


def test_whole_text_replacement_is_one_undo_step(qtbot) -> None:
    editor = _editor(qtbot)
    editor.document().clearUndoRedoStacks()
    editor.replace_all_undoable("X:1\nK:G\n")
    editor.append_undoable("GAB|")
    editor.append_undoable("cde|")
    assert editor.toPlainText() == "X:1\nK:G\nGAB|cde|"
    editor.undo()
    assert editor.toPlainText() == TUNE


def test_cursor_reports_one_based_line_and_column(qtbot) -> None:
    editor = _editor(qtbot)
    seen = []
    editor.cursor_moved.connect(lambda line, col: seen.append((line, col)))
    editor.move_cursor_to(4, 3)
    assert editor.cursor_line_column() == (4, 3)
    assert seen[-1] == (4, 3)


def test_gutter_tooltip_shows_the_line_error(qtbot) -> None:
    editor = _editor(qtbot)
    editor.resize(400, 300)
    editor.show()
    qtbot.waitExposed(editor)
    editor.set_errors((ErrorMark(4, 6, "bar too long"),))
    block = editor.document().findBlockByNumber(3)
    y = int(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).center().y())
    gutter = next(w for w in editor.findChildren(QWidget) if type(w).__name__ == "_LineNumberArea")
    at = QPoint(2, y)
    QApplication.sendEvent(gutter, QHelpEvent(QEvent.Type.ToolTip, at, gutter.mapToGlobal(at)))
    assert QToolTip.text() == "line 4, column 6: bar too long"
    QToolTip.hideText()
