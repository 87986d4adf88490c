"""Regenerate part of the tune in the editor, and Variations of it.

"Regenerate selection" rewrites the bars the editor's selection covers (a drag or Shift+click in
the score selects bars there too), else the looped bars, else the part the cursor is in; the
core writes several rewrites on the generation thread and the one that leads best into the
following bars replaces only those bars, as one undo step. "Variations…" of a tune in the
editor offers rewrites of the selected bars (a new setting of a part) or of every part after
the first (same A part, new B part), previewed in the Variations dialog before one is kept.
The editor is read-only while the core works, so the offsets it returns still fit the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.workers import GenerationService

CANDIDATES = 4


@dataclass(frozen=True)
class _Pending:
    """A rewrite being written: the text it was asked for, its bars, and whether the best one
    replaces them ("replace") or the user picks one ("choose")."""

    text: str
    first: int
    last: int
    mode: str


class RegenerateController(QObject):
    """status(message) / error(message) for the window; the busy state is the composer's."""

    status = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        generation: GenerationService,
        editor: ABCEditor,
        services: CoreServices,
        dialog_parent: QWidget,
        can_start: Callable[[], bool],
        set_busy: Callable[[bool], None],
        next_seed: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._generation = generation
        self._editor = editor
        self._services = services
        self._dialog_parent = dialog_parent
        self._can_start = can_start
        self._set_busy = set_busy
        self._next_seed = next_seed
        self._pending: _Pending | None = None
        generation.job_done.connect(self._on_done)
        generation.job_progress.connect(self._on_progress)

    @property
    def working(self) -> bool:
        return self._pending is not None

    def forget(self) -> None:
        """The job was stopped or failed: nothing will be replaced."""
        if self._pending is not None:
            self._pending = None
            self._editor.setReadOnly(False)

    def regenerate_selection(self) -> None:
        """Rewrite the selected bars (or the looped ones, or the cursor's part)."""
        text = self._editor.toPlainText()
        start, end = self._selection()
        try:
            first, last = self._services.bars_to_rewrite(text, start, end)
        except ValueError as exc:
            self.error.emit(f"Cannot regenerate: {exc}")
            return
        self._start(_Pending(text, first, last, "replace"), CANDIDATES)

    def vary_current_tune(self, count: int) -> bool:
        """Variations of the tune in the editor (see the module docstring); False when the
        editor holds no tune with bars, so the caller writes new tunes instead."""
        text = self._editor.toPlainText()
        if not text.strip():
            return False
        start, end = self._selection()
        try:
            selection = self._services.bars_to_rewrite(text, start, end) if end > start else None
            first, last = self._services.variation_range(text, selection)
        except ValueError:
            return False
        self._start(_Pending(text, first, last, "choose"), count)
        return True

    def _selection(self) -> tuple[int, int]:
        cursor = self._editor.textCursor()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        loop = self._editor.loop_range
        if start == end and loop is not None:
            return loop
        return start, end

    def _start(self, pending: _Pending, count: int) -> None:
        if not self._can_start():
            return
        job = partial(
            self._services.regenerate,
            text=pending.text,
            first=pending.first,
            last=pending.last,
            seed=self._next_seed(),
            count=count,
        )
        self._pending = pending
        self._editor.setReadOnly(True)
        self._set_busy(True)
        self.status.emit(f"Regenerating bars {pending.first}-{pending.last}…")
        self._generation.run(job)

    def _on_progress(self, done: int, total: int) -> None:
        pending = self._pending
        if pending is not None:
            self.status.emit(
                f"Regenerating bars {pending.first}-{pending.last}… {done} of {total} written"
            )

    def _on_done(self, results: Any) -> None:
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        self._editor.setReadOnly(False)
        self._set_busy(False)
        if not results:
            self.error.emit("No new bars were written.")
            return
        if self._editor.toPlainText() != pending.text:
            self.error.emit("The tune changed while new bars were written: nothing replaced.")
            return
        if pending.mode == "replace":
            self._apply(results[0])
            return
        from composeium_desktop.gui.controllers.score_preview import pick_variation
        from composeium_desktop.gui.widgets.dialogs import TuneEntry

        entries = [
            TuneEntry(
                f"Variation {rank}: bars {r.first}-{r.last} new{_lead_in(r)}",
                r.text,
                (r.start, r.start + len(r.replacement)),
            )
            for rank, r in enumerate(results, start=1)
        ]
        self.status.emit(f"{len(entries)} variations of bars {pending.first}-{pending.last}.")
        chosen = pick_variation(entries, self._dialog_parent, self._services)
        if chosen is not None:
            self._apply(results[chosen])

    def _apply(self, result: Any) -> None:
        """Replace the bars as one undo step and select them."""
        self._editor.replace_range_undoable(result.start, result.end, result.replacement)
        cursor = self._editor.textCursor()
        cursor.setPosition(result.start)
        cursor.setPosition(result.start + len(result.replacement), QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)
        self.status.emit(f"Bars {result.first}-{result.last} rewritten; Undo restores them.")


def _lead_in(result: Any) -> str:
    if result.join is None:
        return f"  (log-likelihood {result.logprob:.2f})"
    return f"  (leads in: {result.join:.1f})"
