"""The document the editor shows: one text, or one tune of a tune book (core.tunebook.TuneBook).

The tune list pane selects which tune of a book is edited and adds, duplicates, deletes and
moves tunes; the book keeps every other tune and the text between tunes byte for byte as it was,
so that saving (``file.FileController``, built on this class) writes it back unchanged. Book
edits wait while a tune is being composed into the editor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.workers import single_shot_timer

BOOK_REFRESH_MS = 400
NEW_TUNE_TEXT = "X:{number}\nT:New tune\nM:4/4\nL:1/8\nK:D\n"


class _Busy(Exception):
    """The editor is read-only (a tune is being composed): the book cannot change now."""


def _unless_composing(method: Callable[..., None]) -> Callable[..., None]:
    """Book edits wait while a tune is composed into the editor (it is read-only then)."""

    @functools.wraps(method)
    def guarded(self: DocumentController, *args: object) -> None:
        try:
            method(self, *args)
        except _Busy:
            self.status.emit("Stop composing first: the tune book cannot change meanwhile.")
            self._refresh_book_view()

    return guarded


class DocumentController(QObject):
    """document_changed(title) when the window title should change; book_changed(TuneBook,
    index) when the tune list should show another book or tune (index -1: the editor holds the
    whole document, not one tune of a book)."""

    document_changed = Signal(str)
    book_changed = Signal(object, int)
    status = Signal(str)
    error = Signal(str)

    def __init__(self, editor: ABCEditor, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self._window = window
        self.path: Path | None = None
        self._origin = ""
        self.book: TuneBook | None = None  # set while the editor holds one tune of a book
        self.index: int | None = None
        self._book_dirty = False
        self._encoding = "utf-8"
        self._book_refresh = single_shot_timer(self, BOOK_REFRESH_MS)
        self._book_refresh.timeout.connect(self._refresh_book_view)
        editor.modificationChanged.connect(lambda _m: self._emit_title())
        editor.textChanged.connect(self._book_refresh.start)

    def file_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return f"Untitled{self._origin}"

    def tune_title(self) -> str:
        """The title (T:) of the tune being edited, "" when it has none."""
        text = self._editor.toPlainText()
        if self.book is None:
            spans = self.current_book().tunes
            return spans[0].tune.title if spans else ""
        return parse_tune(text).title if text.strip() else ""

    def display_name(self) -> str:
        """ "Title — file" (with "tune 2 of 5" in a book), or the file name alone."""
        name = self.file_name()
        if self.book is not None and self.index is not None:
            name = f"{name}, tune {self.index + 1} of {len(self.book)}"
        title = self.tune_title()
        return f"{title} — {name}" if title and title != name else name

    def _emit_title(self) -> None:
        self.document_changed.emit(self.display_name())

    def is_modified(self) -> bool:
        return self._editor.document().isModified() or self._book_dirty

    def in_book(self) -> bool:
        return self.book is not None and self.index is not None

    def current_book(self) -> TuneBook:
        """The open document as a book, with the editor's text in place of its tune."""
        text = self._editor.toPlainText()
        if self.book is None or self.index is None:
            return TuneBook.parse(text)
        if not self._editor.document().isModified():
            return self.book
        return self.book.replace(self.index, text)

    def document_text(self) -> str:
        """What Save writes: the whole book with the edited tune, or the editor's text."""
        if self.in_book():
            return self.current_book().text
        return self._editor.toPlainText()

    def _refresh_book_view(self) -> None:
        self._emit_title()
        self.book_changed.emit(self.current_book(), -1 if self.index is None else self.index)

    def _commit(self) -> None:
        """Put the editor's tune into the book (it may have become several tunes, or none)."""
        if self.book is None or self.index is None:
            return
        if self._editor.document().isModified():
            changed = self.book.replace(self.index, self._editor.toPlainText())
            if changed is not self.book:
                self.book = changed
                self._book_dirty = True

    def _load_tune(self, index: int) -> None:
        assert self.book is not None
        index = max(0, min(index, len(self.book) - 1))
        self.index = index
        self._editor.setPlainText(self.book.tune_text(index))
        self._editor.document().setModified(False)
        self._book_refresh.stop()
        self._refresh_book_view()

    def _enter_book(self) -> None:
        """Make the editor's document a book (it was one text: a new or single-tune file)."""
        if self._editor.isReadOnly():
            raise _Busy
        if self.in_book():
            self._commit()
            return
        self._book_dirty = self.is_modified()
        self.book = TuneBook.parse(self._editor.toPlainText())
        self.index = None

    @_unless_composing
    def select_tune(self, index: int) -> None:
        """Edit tune `index` of the book (as the tune list numbers them now)."""
        if not self.in_book() and not self.current_book().tunes:
            return
        self._enter_book()
        assert self.book is not None
        if len(self.book):
            self._load_tune(index)
        self.status.emit(f"Editing {self.display_name()}.")

    @_unless_composing
    def add_tune(self, text: str | None = None) -> None:
        """A new tune at the end of the book (the open document becomes a book)."""
        self._enter_book()
        assert self.book is not None
        self.book = self.book.append(text or NEW_TUNE_TEXT.format(number=self.book.next_number()))
        self._book_dirty = True
        self._load_tune(len(self.book) - 1)

    @_unless_composing
    def duplicate_tune(self, index: int) -> None:
        self._enter_book()
        assert self.book is not None
        self.book = self.book.duplicate(index)
        self._book_dirty = True
        self._load_tune(index + 1)

    @_unless_composing
    def delete_tune(self, index: int) -> None:
        self._enter_book()
        assert self.book is not None
        title = self.book.tunes[index].title
        answer = QMessageBox.question(
            self._window,
            "Delete tune",
            f"Delete “{title}” from {self.file_name()}? (Saving makes it final.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.book = self.book.delete(index)
        self._book_dirty = True
        if len(self.book):
            self._load_tune(min(index, len(self.book) - 1))
        else:
            self.book, self.index = None, None
            self._editor.setPlainText("")
            self._editor.document().setModified(True)
            self._refresh_book_view()
        self.status.emit(f"Deleted “{title}”.")

    @_unless_composing
    def move_tune(self, index: int, to: int) -> None:
        self._enter_book()
        assert self.book is not None
        if not 0 <= to < len(self.book) or to == index:
            return
        current = self.index
        self.book = self.book.move(index, to)
        self._book_dirty = True
        if current is None or current == index:
            self._load_tune(to)  # the moved tune is the one being edited
            return
        if index < current <= to:
            current -= 1
        elif to <= current < index:
            current += 1
        self.index = current
        self._refresh_book_view()

    def _set_document(
        self,
        text: str,
        path: Path | None,
        origin: str = "",
        tune_index: int | None = None,
        encoding: str = "utf-8",
    ) -> None:
        """Show `text` (a book of several tunes shows tune `tune_index`, else its first)."""
        self.path = path
        self._origin = origin
        self._encoding = encoding
        self._book_dirty = False
        book = TuneBook.parse(text)
        if len(book) >= 2:
            self.book = book
            self._load_tune(tune_index or 0)
        else:
            self.book, self.index = None, None
            self._editor.setPlainText(text)
            self._editor.document().setModified(False)
            self._book_refresh.stop()
            self._refresh_book_view()
