"""The ABC text editor: highlighting, a line-number gutter, error marks and cursor reporting.

Error marks come from core.abcnotation.validate (via the window); this widget only draws them:
a wavy red underline at the line and column, a red dot in the gutter and the message as a
tooltip over either.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QFont,
    QFontDatabase,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from composeium_desktop.gui.widgets.abc_highlighter import ABCHighlighter

ERROR_COLOR = QColor("#da1e28")
WARNING_COLOR = QColor("#f1820b")
CURRENT_LINE_COLOR = QColor("#f2f4f8")
LOOP_COLOR = QColor("#d4f0dc")  # the looped bars (the score tints them alike)
GUTTER_BG = QColor("#f4f4f4")
GUTTER_FG = QColor("#8d8d8d")


@dataclass(frozen=True)
class ErrorMark:
    """One problem in the text: 1-based line and column, and the message shown to the user."""

    line: int
    column: int
    message: str
    severity: str = "error"


class _LineNumberArea(QWidget):
    def __init__(self, editor: ABCEditor) -> None:
        super().__init__(editor)
        self._editor = editor
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        self._editor.paint_gutter(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            message = self._editor.error_message_at_line(self._editor.line_at_y(event.pos().y()))
            if message:
                QToolTip.showText(event.globalPos(), message, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class ABCEditor(QPlainTextEdit):
    """A QPlainTextEdit for ABC with a gutter, highlighting and error marks.

    cursor_moved(line, column) reports the text cursor as 1-based line and column so the score
    view can highlight the note written there.
    """

    cursor_moved = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 10))
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.setPlaceholderText("ABC notation appears here: generate a tune, open a file or type.")
        self._highlighter = ABCHighlighter(self.document())
        self._errors: tuple[ErrorMark, ...] = ()
        self._note_selection: QTextEdit.ExtraSelection | None = None
        self._loop_selection: QTextEdit.ExtraSelection | None = None
        self._gutter = _LineNumberArea(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._on_cursor_moved)
        self._update_gutter_width()
        self._refresh_selections()

    @property
    def errors(self) -> tuple[ErrorMark, ...]:
        return self._errors

    def set_errors(self, errors: tuple[ErrorMark, ...]) -> None:
        """Replace the error marks (an empty tuple clears them)."""
        self._errors = tuple(errors)
        self._refresh_selections()
        self._gutter.update()

    def cursor_line_column(self) -> tuple[int, int]:
        """The text cursor as 1-based (line, column)."""
        cursor = self.textCursor()
        return cursor.blockNumber() + 1, cursor.positionInBlock() + 1

    def move_cursor_to(self, line: int, column: int, extend: bool = False) -> None:
        """Place the cursor at a 1-based line and column and make it visible; `extend` keeps
        the anchor, selecting from it (a Shift+click in the score)."""
        position = self.position_of(line, column)
        if position is None:
            return
        cursor = self.textCursor()
        mode = QTextCursor.MoveMode.KeepAnchor if extend else QTextCursor.MoveMode.MoveAnchor
        cursor.setPosition(position, mode)
        self.setTextCursor(cursor)
        self.centerCursor()

    def position_of(self, line: int, column: int) -> int | None:
        """The document position of a 1-based line and column (clamped to the line)."""
        block = self.document().findBlockByNumber(max(line - 1, 0))
        if not block.isValid():
            return None
        return block.position() + min(max(column - 1, 0), block.length() - 1)

    def set_loop_range(self, start: int, end: int) -> None:
        """Tint the looped bars from document position `start` to `end` (start >= end clears)."""
        if start >= end:
            self._loop_selection = None
        else:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(LOOP_COLOR)
            cursor = QTextCursor(self.document())
            cursor.setPosition(min(start, self.document().characterCount() - 1))
            cursor.setPosition(
                min(end, self.document().characterCount() - 1), QTextCursor.MoveMode.KeepAnchor
            )
            selection.cursor = cursor
            self._loop_selection = selection
        self._refresh_selections()

    @property
    def loop_range(self) -> tuple[int, int] | None:
        """The tinted loop as document positions (None: no loop shown)."""
        if self._loop_selection is None:
            return None
        cursor = self._loop_selection.cursor
        return cursor.selectionStart(), cursor.selectionEnd()

    def replace_all_undoable(self, text: str) -> None:
        """Replace the whole text as one step on the undo stack (setPlainText clears the stack)."""
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()

    def replace_range_undoable(self, start: int, end: int, text: str) -> None:
        """Replace characters start..end with `text` as one undo step, the cursor kept."""
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        cursor.endEditBlock()

    def replace_from(self, position: int, text: str, join_previous: bool = True) -> None:
        """Replace everything from character `position` to the end, merged into the last undo step."""
        cursor = QTextCursor(self.document())
        if join_previous:
            cursor.joinPreviousEditBlock()
        else:
            cursor.beginEditBlock()
        cursor.setPosition(min(position, self.document().characterCount() - 1))
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        cursor.endEditBlock()

    def append_undoable(self, text: str) -> None:
        """Append `text` at the end, merged into the last undo step."""
        cursor = QTextCursor(self.document())
        cursor.joinPreviousEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        cursor.endEditBlock()

    def error_message_at_line(self, line: int) -> str:
        return "\n".join(
            f"line {e.line}, column {e.column}: {e.message}" for e in self._errors if e.line == line
        )

    def line_at_y(self, y: float) -> int:
        block = self.firstVisibleBlock()
        while block.isValid():
            top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
            bottom = top + self.blockBoundingRect(block).height()
            if top <= y < bottom:
                return block.blockNumber() + 1
            block = block.next()
        return 0

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 18 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), GUTTER_BG)
        error_lines = {e.line for e in self._errors}
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        height = self.fontMetrics().height()
        width = self._gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + self.blockBoundingRect(block).height()
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber() + 1
                if number in error_lines:
                    painter.setBrush(ERROR_COLOR)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.drawEllipse(4, int(top) + height // 2 - 4, 8, 8)
                painter.setPen(ERROR_COLOR if number in error_lines else GUTTER_FG)
                painter.drawText(
                    0, int(top), width - 4, height, Qt.AlignmentFlag.AlignRight, str(number)
                )
            block = block.next()
            top = bottom
        painter.end()

    def set_note_highlight(self, line: int, column: int, length: int = 1) -> None:
        """Tint the source of the note the score view highlights (line 0 clears it)."""
        if line <= 0:
            self._note_selection = None
        else:
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                return
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor("#ffe08a"))
            cursor = QTextCursor(block)
            start = min(max(column - 1, 0), block.length() - 1)
            cursor.setPosition(block.position() + start)
            cursor.setPosition(
                min(block.position() + start + length, block.position() + block.length() - 1),
                QTextCursor.MoveMode.KeepAnchor,
            )
            selection.cursor = cursor
            self._note_selection = selection
        self._refresh_selections()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            pos = event.pos() - self.viewport().pos()
            cursor = self.cursorForPosition(pos)
            line = cursor.blockNumber() + 1
            column = cursor.positionInBlock() + 1
            hits = [e for e in self._errors if e.line == line and abs(e.column - column) <= 1]
            if hits:
                QToolTip.showText(event.globalPos(), "\n".join(e.message for e in hits), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        # Dropped files are opened by the window, not pasted into the text as URLs.
        if event.mimeData().hasUrls():
            event.ignore()
            return
        super().dragEnterEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def _update_gutter_width(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_gutter_width()

    def _on_cursor_moved(self) -> None:
        self._refresh_selections()
        line, column = self.cursor_line_column()
        self.cursor_moved.emit(line, column)

    def _error_selection(self, mark: ErrorMark) -> QTextEdit.ExtraSelection | None:
        block = self.document().findBlockByNumber(mark.line - 1)
        if not block.isValid():
            return None
        selection = QTextEdit.ExtraSelection()
        selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        selection.format.setUnderlineColor(
            ERROR_COLOR if mark.severity == "error" else WARNING_COLOR
        )
        selection.format.setToolTip(mark.message)
        cursor = QTextCursor(block)
        text = block.text()
        start = min(max(mark.column - 1, 0), max(len(text) - 1, 0))
        end = start + 1
        while end < len(text) and not text[end].isspace() and text[end] != "|":
            end += 1
        cursor.setPosition(block.position() + start)
        cursor.setPosition(block.position() + max(end, start + 1), QTextCursor.MoveMode.KeepAnchor)
        if not text:
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
        selection.cursor = cursor
        return selection

    def _refresh_selections(self) -> None:
        selections = []
        if not self.isReadOnly():
            current = QTextEdit.ExtraSelection()
            current.format.setBackground(CURRENT_LINE_COLOR)
            current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            current.cursor = self.textCursor()
            current.cursor.clearSelection()
            selections.append(current)
        if self._loop_selection is not None:
            selections.append(self._loop_selection)
        if self._note_selection is not None:
            selections.append(self._note_selection)
        for mark in self._errors:
            selection = self._error_selection(mark)
            if selection is not None:
                selections.append(selection)
        self.setExtraSelections(selections)
