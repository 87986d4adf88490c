"""Files: new, open (tune books with a picker), save, save as, recent files, export, transpose.

Unsaved work is never lost: closing or replacing a modified tune asks first, and the text is
autosaved to paths.user_data_dir()/autosave every few seconds while modified, so the next start
after a crash offers to restore it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from composeium_desktop import paths
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.dialogs import TuneEntry, TunePickerDialog
from composeium_desktop.gui.workers import TaskRunner

AUTOSAVE_MS = 5000
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


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_abc_file(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tune_chunks(book: str) -> list[str]:
    """The verbatim text of each tune of a tune book (a tune starts at an X: line)."""
    starts = [m.start() for m in re.finditer(r"(?m)^X:", book)]
    if len(starts) <= 1:
        return [book]
    ends = [*starts[1:], len(book)]
    return [book[s:e].rstrip() + "\n" for s, e in zip(starts, ends, strict=True)]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FileController(QObject):
    """document_changed(title) when the window title should change; recent_files_changed."""

    document_changed = Signal(str)
    recent_files_changed = Signal(tuple)
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
    ) -> None:
        super().__init__(parent)
        self._editor = editor
        self._services = services
        self._window = window
        self._playback_options = playback_options
        self.path: Path | None = None
        self._origin = ""
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

    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return f"Untitled{self._origin}"

    def _emit_title(self) -> None:
        self.document_changed.emit(self.display_name())

    def is_modified(self) -> bool:
        return self._editor.document().isModified()

    def confirm_discard(self) -> bool:
        """Ask what to do with unsaved changes; False means the user cancelled."""
        if not self.is_modified() or not self._editor.toPlainText().strip():
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

    def _set_document(self, text: str, path: Path | None, origin: str = "") -> None:
        self._editor.setPlainText(text)
        self._editor.document().setModified(False)
        self.path = path
        self._origin = origin
        self._emit_title()

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
        """Open `path`; a book of several tunes asks which one unless tune_index is given."""
        if ask and not self.confirm_discard():
            return False
        try:
            book = read_abc_file(path)
        except OSError as exc:
            self.error.emit(f"Cannot open {path}: {exc.strerror or exc}")
            return False
        chunks = tune_chunks(book)
        if len(chunks) == 1:
            self._set_document(book, path)
        else:
            index = tune_index if tune_index is not None else self._pick_tune(path, chunks)
            if index is None:
                return False
            self._set_document(chunks[index], None, f" (tune {index + 1} of {path.name})")
        self._add_recent(path)
        self.discard_autosave()
        self.status.emit(f"Opened {path.name}.")
        return True

    def _pick_tune(self, path: Path, chunks: list[str]) -> int | None:
        entries = []
        for number, chunk in enumerate(chunks, start=1):
            title = re.search(r"(?m)^T:(.*)$", chunk)
            key = re.search(r"(?m)^K:(.*)$", chunk)
            label = f"{number}. {title.group(1).strip() if title else 'Untitled'}"
            if key:
                label += f"  [{key.group(1).strip()}]"
            entries.append(TuneEntry(label, chunk))
        dialog = TunePickerDialog(path.name, entries, self._window)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen_index() < 0:
            return None
        return dialog.chosen_index()

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
        try:
            write_text_atomic(path, self._editor.toPlainText())
        except OSError as exc:
            self.error.emit(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.path = path
        self._origin = ""
        self._editor.document().setModified(False)
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
            write_text_atomic(self.autosave_path, self._editor.toPlainText())
            meta = {"path": str(self.path) if self.path else "", "pid": os.getpid()}
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
        self._set_document(read_abc_file(autosave), original, " (restored)")
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
        task_id = self._tasks.submit(lambda: export(kind.key, text, path, dict(options)))
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

    def shutdown(self, clean: bool) -> None:
        """Stop the timer and the export thread; a clean exit removes the autosave."""
        self._autosave.stop()
        self._tasks.shutdown()
        if clean:
            self.discard_autosave()
