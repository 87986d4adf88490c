"""Files: new, open, save, save as, recent files, export, transpose, and tune books.

A file of several tunes is a book (core.tunebook.TuneBook): the editor holds one tune of it,
the tune list pane selects which, and saving writes the book back with every other tune and
the text between tunes byte for byte as it was (in the file's own encoding and line endings).
A generated tune is a new untitled document or a new tune of the open book (the settings'
``generated_tunes``: "new", "book" or "ask"), never written over a named file.

Unsaved work is never lost: closing or replacing a modified document asks first, and the text
is autosaved to paths.user_data_dir()/autosave every few seconds while modified, so the next
start after a crash offers to restore it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from composeium_desktop import paths
from composeium_desktop.core import fileio
from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import AppSettings
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.workers import TaskRunner, single_shot_timer

AUTOSAVE_MS = 5000
BOOK_REFRESH_MS = 400
NEW_TUNE_TEXT = "X:{number}\nT:New tune\nM:4/4\nL:1/8\nK:D\n"
ABC_FILTER = "ABC tunes (*.abc *.abc.txt);;All files (*)"


@dataclass(frozen=True)
class ExportKind:
    """One entry of the Export menu."""

    key: str
    label: str
    suffix: str
    file_filter: str


EXPORT_KINDS = (
    ExportKind("wav", "Audio (WAV)…", ".wav", "WAV audio (*.wav)"),
    ExportKind("midi", "MIDI…", ".mid", "MIDI files (*.mid *.midi)"),
    ExportKind("pdf", "PDF…", ".pdf", "PDF documents (*.pdf)"),
    ExportKind("musicxml", "MusicXML…", ".musicxml", "MusicXML (*.musicxml *.xml)"),
    ExportKind("svg", "SVG…", ".svg", "SVG images (*.svg)"),
    ExportKind("abc", "ABC…", ".abc", "ABC tunes (*.abc)"),
)


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    fileio.write_text(path, text, encoding)


def read_abc_file(path: Path) -> str:
    return read_abc_with_encoding(path)[0]


def read_abc_with_encoding(path: Path) -> tuple[str, str]:
    """The file's text (newlines as written) and its encoding (UTF-8, else Latin-1).
    Raises fileio.NotTextError for a binary file, OSError when it cannot be read."""
    return fileio.decode_abc(path, path.read_bytes())


def _file_stem(title: str) -> str:
    return re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")[:60] or "tune"


class _Busy(Exception):
    """The editor is read-only (a tune is being composed): the book cannot change now."""


def _unless_composing(method: Callable[..., None]) -> Callable[..., None]:
    """Book edits wait while a tune is composed into the editor (it is read-only then)."""

    @functools.wraps(method)
    def guarded(self: FileController, *args: object) -> None:
        try:
            method(self, *args)
        except _Busy:
            self.status.emit("Stop composing first: the tune book cannot change meanwhile.")
            self._refresh_book_view()

    return guarded


def _pid_alive(pid: int) -> bool:
    return bool(psutil.pid_exists(pid))


class FileController(QObject):
    """document_changed(title) when the window title should change; recent_files_changed;
    book_changed(TuneBook, index) when the tune list should show another book or tune (index
    -1: the editor holds the whole document, not one tune of a book)."""

    document_changed = Signal(str)
    recent_files_changed = Signal(tuple)
    book_changed = Signal(object, int)
    status = Signal(str)
    error = Signal(str)
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
        super().__init__(parent)
        self._editor = editor
        self._services = services
        self._window = window
        self._playback_options = playback_options
        self._settings = settings
        self.path: Path | None = None
        self._origin = ""
        self.book: TuneBook | None = None  # set while the editor holds one tune of a book
        self.index: int | None = None
        self._book_dirty = False
        self._generated_text = ""  # the last generated tune, as it was written
        self._encoding = "utf-8"
        self._book_refresh = single_shot_timer(self, BOOK_REFRESH_MS)
        self._book_refresh.timeout.connect(self._refresh_book_view)
        self.recent_files: tuple[str, ...] = ()
        self._tasks = TaskRunner("export", self)
        self._tasks.succeeded.connect(self._on_export_done)
        self._tasks.failed.connect(self._on_export_failed)
        self._exports: dict[int, tuple[str, Path, QProgressDialog]] = {}
        self._autosave_dir = paths.user_data_dir() / "autosave"
        self.autosave_path = self._autosave_dir / f"autosave-{os.getpid()}.abc"
        self._autosave = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave_now)
        self._autosave.start()
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

    def autosave_now(self) -> None:
        if not self.is_modified():
            return
        try:
            self._autosave_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.autosave_path, self.document_text())
            meta = {
                "path": str(self.path) if self.path else "",
                "pid": os.getpid(),
                "tune": self.index,
                "encoding": self._encoding,
            }
            write_text_atomic(self.autosave_path.with_suffix(".json"), json.dumps(meta))
        except OSError as exc:
            self.error.emit(f"Autosave failed: {exc.strerror or exc}")

    def discard_autosave(self) -> None:
        self.autosave_path.unlink(missing_ok=True)
        self.autosave_path.with_suffix(".json").unlink(missing_ok=True)

    def orphaned_autosaves(self) -> list[Path]:
        """Autosaves left by processes that are gone (a crash or a kill)."""
        found = []
        for file in sorted(self._autosave_dir.glob("autosave-*.abc")):
            match = re.fullmatch(r"autosave-(\d+)\.abc", file.name)
            if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
                found.append(file)
        return found

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
            file.unlink(missing_ok=True)
            file.with_suffix(".json").unlink(missing_ok=True)
        return restored

    def restore(self, autosave: Path) -> None:
        try:
            meta = json.loads(autosave.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = Path(meta["path"]) if meta.get("path") else None
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

    def transpose_by(self, semitones: int) -> None:
        try:
            text = self._services.transpose(self._editor.toPlainText(), semitones)
        except Exception as exc:
            self.error.emit(f"Cannot transpose: {exc}")
            return
        self._editor.replace_all_undoable(text)
        self.status.emit(f"Transposed by {semitones:+d} semitones.")

    def export_dialog(self, kind: ExportKind) -> None:
        text = self._editor.toPlainText()
        if not text.strip():
            self.error.emit("Nothing to export: the editor is empty.")
            return
        base = (
            self.path.with_suffix(kind.suffix) if self.path else Path.home() / f"tune{kind.suffix}"
        )
        name, _ = QFileDialog.getSaveFileName(
            self._window, f"Export {kind.key.upper()}", str(base), kind.file_filter
        )
        if name:
            path = Path(name)
            if not path.suffix:
                path = path.with_suffix(kind.suffix)
            self.export_to(kind, path)

    def export_to(self, kind: ExportKind, path: Path) -> int:
        """Export the editor's tune in the background, with a progress dialog."""
        text = self._editor.toPlainText()
        options = self._playback_options() if kind.key in ("wav", "midi") else {}
        export = self._services.export
        return self._submit_export(kind, path, lambda: export(kind.key, text, path, dict(options)))

    def _submit_export(self, kind: ExportKind, path: Path, job: Callable[[], object]) -> int:
        task_id = self._tasks.submit(job)
        progress = QProgressDialog(f"Exporting {path.name}…", "", 0, 0, self._window)
        progress.setCancelButton(None)
        progress.setWindowTitle("Export")
        progress.setMinimumDuration(400)
        self._exports[task_id] = (kind.key, path, progress)
        return task_id

    def _on_export_done(self, task_id: int, _result: object) -> None:
        kind, path, progress = self._exports.pop(task_id)
        progress.reset()
        progress.deleteLater()
        self.status.emit(f"Exported {kind.upper()} to {path}.")
        self.export_finished.emit(str(path))

    def _on_export_failed(self, task_id: int, message: str) -> None:
        kind, path, progress = self._exports.pop(task_id)
        progress.reset()
        progress.deleteLater()
        self.error.emit(f"{kind.upper()} export to {path.name} failed: {message}")

    def export_book(self, kind: ExportKind, folder: Path) -> list[int]:
        """Export the open book into `folder`: PDF as one book with a contents page
        ("book.pdf"), MIDI/WAV one file per tune ("01-Title.mid" ...); returns the tasks."""
        book = self.current_book()
        if not book.tunes:
            self.error.emit("Nothing to export: the editor is empty.")
            return []
        export = self._services.export
        if kind.key == "pdf":  # one PDF book, a contents page first
            path = folder / f"{_file_stem(self.path.stem if self.path else 'tune-book')}.pdf"
            text = book.text
            return [self._submit_export(kind, path, lambda: export("pdf_book", text, path, {}))]
        options = self._playback_options() if kind.key in ("wav", "midi") else {}
        tasks = []
        for number, tune in enumerate(book.tunes, start=1):
            path = folder / f"{number:02d}-{_file_stem(tune.title)}{kind.suffix}"
            text = tune.text
            tasks.append(
                self._submit_export(
                    kind, path, functools.partial(export, kind.key, text, path, dict(options))
                )
            )
        return tasks

    def export_book_dialog(self, kind: ExportKind) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name = QFileDialog.getExistingDirectory(
            self._window, f"Export every tune as {kind.key.upper()} into", start
        )
        if name:
            self.export_book(kind, Path(name))

    def shutdown(self, clean: bool) -> None:
        """Stop the timers and the export thread; a clean exit removes the autosave."""
        self._book_refresh.stop()
        self._autosave.stop()
        self._tasks.shutdown()
        if clean:
            self.discard_autosave()
