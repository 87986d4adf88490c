"""Files: new, open, save, save as, recent files, autosave and restore, transpose, export.

``FileController`` is the document controller (``document.DocumentController``: one text or
one tune of a tune book) plus the files behind it. Saving writes the book back with every other
tune and the text between tunes byte for byte as it was (in the file's own encoding and line
endings). A generated tune is a new untitled document or a new tune of the open book (the
settings' ``generated_tunes``: "new", "book" or "ask"), never written over a named file.

Unsaved work is never lost: closing or replacing a modified document asks first, and the text
is autosaved to paths.user_data_dir()/autosave every few seconds while modified
(``autosave.AutosaveStore``), so the next start after a crash offers to restore it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from composeium_desktop import paths
from composeium_desktop.core import fileio
from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.controllers.autosave import AutosaveStore, read_meta, remove
from composeium_desktop.gui.controllers.document import DocumentController
from composeium_desktop.gui.controllers.export import ExportController, ExportKind
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import AppSettings
from composeium_desktop.gui.widgets.abc_editor import ABCEditor

AUTOSAVE_MS = 5000
ABC_FILTER = "ABC tunes (*.abc *.abc.txt);;All files (*)"


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    fileio.write_text(path, text, encoding)


def read_abc_file(path: Path) -> str:
    return read_abc_with_encoding(path)[0]


def read_abc_with_encoding(path: Path) -> tuple[str, str]:
    """The file's text (newlines as written) and its encoding (UTF-8, else Latin-1).
    Raises fileio.NotTextError for a binary file, OSError when it cannot be read."""
    return fileio.decode_abc(path, path.read_bytes())


class FileController(DocumentController):
    """The document and its file. Besides ``DocumentController``'s signals:
    recent_files_changed(paths); export_finished(path) for each exported file."""

    recent_files_changed = Signal(tuple)
    export_finished = Signal(str)

    def __init__(
        self,
        editor: ABCEditor,
        services: CoreServices,
        window: QWidget,
        playback_options: Callable[[], dict],
        parent: QObject | None = None,
        settings: Callable[[], AppSettings] = AppSettings,
    ) -> None:
        super().__init__(editor, window, parent)
        self._services = services
        self._settings = settings
        self._generated_text = ""  # the last generated tune, as it was written
        self.recent_files: tuple[str, ...] = ()
        self.exports = ExportController(services, window, playback_options, self)
        self.exports.status.connect(self.status)
        self.exports.error.connect(self.error)
        self.exports.finished.connect(self.export_finished)
        self._autosave_store = AutosaveStore(paths.user_data_dir() / "autosave")
        self.autosave_path = self._autosave_store.path
        self._autosave = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave_now)
        self._autosave.start()

    # Generated tunes.

    def prepare_for_generated(self) -> bool:
        """Make room for a generated tune: a new untitled document (asking first when the
        current one is unsaved) or a new tune of the open book, as the settings say (or the
        user answers). False: the user cancelled."""
        target = getattr(self._settings(), "generated_tunes", "ask")
        has_file = self.path is not None or self.in_book()
        if target == "ask" and has_file:
            box = QMessageBox(self._window)
            box.setWindowTitle("Generate")
            box.setText(f"Where should the new tune go?\n(Open: {self.display_name()})")
            new_button = box.addButton("New document", QMessageBox.ButtonRole.AcceptRole)
            book_button = box.addButton(
                f"Add to {self.file_name()}", QMessageBox.ButtonRole.ActionRole
            )
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            clicked = box.clickedButton()
            if clicked is book_button:
                target = "book"
            elif clicked is new_button:
                target = "new"
            else:
                return False
        if target == "book" and has_file:
            self.add_tune()
            return True
        text = self._editor.toPlainText()
        if not has_file and (not text.strip() or text == self._generated_text):
            # An empty editor, or the last generated tune untouched: replaced as one undo step.
            return True
        if not self.confirm_discard():
            return False
        self._set_document("", None)
        self.discard_autosave()
        return True

    def on_generated(self, _text: str = "") -> None:
        """A tune generated into a book takes an X: number no other tune of the book has."""
        self._generated_text = self._editor.toPlainText()
        if self.book is None or self.index is None:
            return
        text = self._editor.toPlainText()
        number = parse_tune(text).number if text.strip() else None
        others = {t.number for i, t in enumerate(self.book.tunes) if i != self.index}
        if number is None or number not in others:
            return
        match = re.search(r"(?m)^X:[^\n]*", text)
        if match is not None:
            free = max(n for n in others if n is not None) + 1
            self._editor.replace_range_undoable(match.start(), match.end(), f"X:{free}")

    # Opening and saving.

    def confirm_discard(self) -> bool:
        """Ask what to do with unsaved changes; False means the user cancelled."""
        if not self.is_modified() or (
            not self._book_dirty and not self._editor.toPlainText().strip()
        ):
            return True
        answer = QMessageBox.question(
            self._window,
            "Unsaved changes",
            f"Save the changes to {self.display_name()}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_tune(self) -> None:
        if self.confirm_discard():
            self._set_document("", None)
            self.discard_autosave()
            self.status.emit("New tune.")

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        start = str(self.path.parent) if self.path else str(paths.resources_dir() / "examples")
        name, _ = QFileDialog.getOpenFileName(self._window, "Open ABC", start, ABC_FILTER)
        if name:
            self.open_path(Path(name), ask=False)

    def open_path(self, path: Path, ask: bool = True, tune_index: int | None = None) -> bool:
        """Open `path`; a book of several tunes opens at tune `tune_index` (else its first),
        the tune list pane showing them all."""
        if ask and not self.confirm_discard():
            return False
        try:
            text, encoding = read_abc_with_encoding(path)
        except fileio.NotTextError as exc:
            self.error.emit(f"Cannot open {path.name}: {exc.message}.")
            return False
        except OSError as exc:
            self.error.emit(f"Cannot open {path}: {exc.strerror or exc}")
            return False
        self._set_document(text, path, tune_index=tune_index, encoding=encoding)
        self._add_recent(path)
        self.discard_autosave()
        count = len(self.book) if self.book is not None else 1
        note = " (not UTF-8: read as Latin-1)" if encoding == "latin-1" else ""
        self.status.emit(f"Opened {path.name}{note}" + (f" ({count} tunes)." if count > 1 else "."))
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else str(Path.home() / "tune.abc")
        name, _ = QFileDialog.getSaveFileName(self._window, "Save ABC", start, ABC_FILTER)
        if not name:
            return False
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".abc")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        text = self.document_text()
        encoding = self._encoding
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            encoding = "utf-8"  # a character the file's old encoding cannot hold
        try:
            write_text_atomic(path, text, encoding)
        except OSError as exc:
            self.error.emit(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.path = path
        self._origin = ""
        self._encoding = encoding
        if self.in_book():
            before = len(self.book) if self.book is not None else 0
            self.book = TuneBook.parse(text)
            self._book_dirty = False
            if len(self.book) != before and self.index is not None:
                self._load_tune(self.index)  # the tune became several: show the first
        self._editor.document().setModified(False)
        self._book_refresh.start()
        self._add_recent(path)
        self.discard_autosave()
        self._emit_title()
        self.status.emit(f"Saved {path}.")
        return True

    def _add_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        recent = (resolved, *(p for p in self.recent_files if p != resolved))
        self.recent_files = recent[:10]
        self.recent_files_changed.emit(self.recent_files)

    # Autosave.

    def autosave_now(self) -> None:
        if not self.is_modified():
            return
        meta = {
            "path": str(self.path) if self.path else "",
            "pid": os.getpid(),
            "tune": self.index,
            "encoding": self._encoding,
        }
        try:
            self._autosave_store.write(self.document_text(), meta)
        except OSError as exc:
            self.error.emit(f"Autosave failed: {exc.strerror or exc}")

    def discard_autosave(self) -> None:
        self._autosave_store.discard()

    def orphaned_autosaves(self) -> list[Path]:
        """Autosaves left by processes that are gone (a crash or a kill)."""
        return self._autosave_store.orphans()

    def offer_restore(self) -> bool:
        """Ask whether to restore the newest orphaned autosave; True when it was restored."""
        orphans = self.orphaned_autosaves()
        if not orphans:
            return False
        newest = max(orphans, key=lambda p: p.stat().st_mtime)
        answer = QMessageBox.question(
            self._window,
            "Restore unsaved work?",
            "Composeium Desktop did not close normally last time.\n"
            "Restore the unsaved tune it was editing?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        restored = answer == QMessageBox.StandardButton.Yes
        if restored:
            self.restore(newest)
        for file in orphans:
            remove(file)
        return restored

    def restore(self, autosave: Path) -> None:
        meta = read_meta(autosave)
        original = Path(str(meta["path"])) if meta.get("path") else None
        tune = meta.get("tune")
        self._set_document(
            read_abc_file(autosave),
            original,
            " (restored)",
            tune_index=tune if isinstance(tune, int) else None,
            encoding=str(meta.get("encoding") or "utf-8"),
        )
        self._book_dirty = self.book is not None
        self._editor.document().setModified(True)
        self.autosave_now()
        self.status.emit("Restored the autosaved tune.")

    # Transpose and export.

    def transpose_by(self, semitones: int) -> None:
        try:
            text = self._services.transpose(self._editor.toPlainText(), semitones)
        except Exception as exc:
            self.error.emit(f"Cannot transpose: {exc}")
            return
        self._editor.replace_all_undoable(text)
        self.status.emit(f"Transposed by {semitones:+d} semitones.")

    def export_dialog(self, kind: ExportKind) -> None:
        self.exports.export_dialog(kind, self._editor.toPlainText(), self.path)

    def export_book(self, kind: ExportKind, folder: Path) -> list[int]:
        """Export the open book into `folder` (see ``ExportController.export_book``)."""
        return self.exports.export_book(kind, folder, self.current_book(), self.path)

    def export_book_dialog(self, kind: ExportKind) -> None:
        folder = self.exports.ask_folder(kind, self.path)
        if folder is not None:
            self.export_book(kind, folder)

    def shutdown(self, clean: bool) -> None:
        """Stop the timers and the export thread; a clean exit removes the autosave."""
        self._book_refresh.stop()
        self._autosave.stop()
        self.exports.shutdown()
        if clean:
            self.discard_autosave()
