"""Export: the Export menu's kinds, and exports run in the background with a progress dialog
(the editor's tune, or every tune of a book into a folder)."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.workers import TaskRunner


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


def _file_stem(title: str) -> str:
    return re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")[:60] or "tune"


class ExportController(QObject):
    """Runs exports on its own task thread; status/error as they end, finished(path) for
    each file written. ``pending`` holds the exports still running."""

    status = Signal(str)
    error = Signal(str)
    finished = Signal(str)

    def __init__(
        self,
        services: CoreServices,
        window: QWidget,
        playback_options: Callable[[], dict],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._window = window
        self._playback_options = playback_options
        self._tasks = TaskRunner("export", self)
        self._tasks.succeeded.connect(self._on_export_done)
        self._tasks.failed.connect(self._on_export_failed)
        self.pending: dict[int, tuple[str, Path, QProgressDialog]] = {}
        self._done: dict[int, threading.Event] = {}

    def export_dialog(self, kind: ExportKind, text: str, document: Path | None) -> None:
        """Ask where to export `text` (beside `document`, the open file, when there is one)."""
        if not text.strip():
            self.error.emit("Nothing to export: the editor is empty.")
            return
        base = document.with_suffix(kind.suffix) if document else Path.home() / f"tune{kind.suffix}"
        name, _ = QFileDialog.getSaveFileName(
            self._window, f"Export {kind.key.upper()}", str(base), kind.file_filter
        )
        if name:
            path = Path(name)
            if not path.suffix:
                path = path.with_suffix(kind.suffix)
            self.export_to(kind, path, text)

    def export_to(self, kind: ExportKind, path: Path, text: str) -> int:
        """Export one tune's `text` in the background, with a progress dialog."""
        options = self._playback_options() if kind.key in ("wav", "midi") else {}
        export = self._services.export
        return self._submit_export(kind, path, lambda: export(kind.key, text, path, dict(options)))

    def export_book(
        self, kind: ExportKind, folder: Path, book: TuneBook, document: Path | None
    ) -> list[int]:
        """Export `book` into `folder`: PDF as one book with a contents page (named after
        `document`), MIDI/WAV one file per tune ("01-Title.mid" ...); returns the tasks."""
        if not book.tunes:
            self.error.emit("Nothing to export: the editor is empty.")
            return []
        export = self._services.export
        if kind.key == "pdf":  # one PDF book, a contents page first
            path = folder / f"{_file_stem(document.stem if document else 'tune-book')}.pdf"
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

    def ask_folder(self, kind: ExportKind, document: Path | None) -> Path | None:
        """The folder to export every tune into (None: the user cancelled)."""
        start = str(document.parent) if document else str(Path.home())
        name = QFileDialog.getExistingDirectory(
            self._window, f"Export every tune as {kind.key.upper()} into", start
        )
        return Path(name) if name else None

    def _submit_export(self, kind: ExportKind, path: Path, job: Callable[[], object]) -> int:
        done = threading.Event()

        def run() -> object:
            try:
                return job()
            finally:
                done.set()

        task_id = self._tasks.submit(run)
        self._done[task_id] = done
        progress = QProgressDialog(f"Exporting {path.name}…", "", 0, 0, self._window)
        progress.setCancelButton(None)
        progress.setWindowTitle("Export")
        progress.setMinimumDuration(400)
        self.pending[task_id] = (kind.key, path, progress)
        return task_id

    def _on_export_done(self, task_id: int, _result: object) -> None:
        self._done.pop(task_id, None)
        if task_id not in self.pending:
            return  # finished while the window closed
        kind, path, progress = self.pending.pop(task_id)
        progress.reset()
        progress.deleteLater()
        self.status.emit(f"Exported {kind.upper()} to {path}.")
        self.finished.emit(str(path))

    def _on_export_failed(self, task_id: int, message: str) -> None:
        self._done.pop(task_id, None)
        if task_id not in self.pending:
            return
        kind, path, progress = self.pending.pop(task_id)
        progress.reset()
        progress.deleteLater()
        self.error.emit(f"{kind.upper()} export to {path.name} failed: {message}")

    def shutdown(self) -> None:
        """Finish every export asked for, the one running and those queued behind it (closing
        never drops an export), then stop the export thread and close the progress dialogs."""
        for done in list(self._done.values()):
            done.wait()
        self._done.clear()
        self._tasks.shutdown()
        for _kind, _path, progress in self.pending.values():
            progress.reset()
            progress.deleteLater()
        self.pending.clear()
