"""Generation in the window: form -> request -> streamed text in the editor -> finished tune.

Also "Continue from cursor" (the tune up to the cursor is the prime; the core normalises it and
the finished body replaces the old one, undoable as one step) and "Variations" (the user
picks one of several). The model loads on the generation thread after the window is shown.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from composeium_desktop.gui.controllers.regenerate import RegenerateController
from composeium_desktop.gui.controllers.score import ScoreController
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.metadata_panel import FormValues, MetadataPanel
from composeium_desktop.gui.workers import GenerationOutcome, GenerationService, single_shot_timer

MODEL_STATUS = {
    "loading": "Model: loading in the background…",
    "ready": "Model: ready",
    "failed": "Model: failed to load",
    "missing": "Model: not found",
}
# The editor shows the streamed text at most this often (25 times a second): every token's
# repaint would only take the interpreter from the thread that is composing.
STREAM_PAINT_MS = 40


@dataclass(frozen=True)
class _Stream:
    """Where the streamed body goes: the editor text before `body_position` is kept as it is
    (a continued tune keeps its own header; a new tune's header is replaced at the end)."""

    body_position: int
    keep_header: bool


class ComposeController(QObject):
    """status(message) reports progress for the status bar; busy_changed(bool) while composing."""

    status = Signal(str)
    error = Signal(str)
    busy_changed = Signal(bool)
    tune_finished = Signal(str)

    def __init__(
        self,
        panel: MetadataPanel,
        editor: ABCEditor,
        score: ScoreController,
        services: CoreServices,
        dialog_parent: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._panel = panel
        self._editor = editor
        self._score = score
        self._services = services
        self._dialog_parent = dialog_parent
        self.generation = GenerationService(services.load_generator, self)
        self.generation.model_state_changed.connect(self._on_model_state)
        self.generation.step.connect(self._on_step)
        self.generation.finished.connect(self._on_finished)
        self.generation.variations_ready.connect(self._on_variations)
        self.generation.failed.connect(self._on_failed)
        # Regenerate selection and Variations of the tune in the editor, on the same thread.
        self.regenerator = RegenerateController(
            self.generation,
            editor,
            services,
            dialog_parent,
            self._can_start,
            self._set_busy,
            lambda: self._next_seed(self._panel.values()),
            self,
        )
        self.regenerator.status.connect(self.status)
        self.regenerator.error.connect(self.error)
        self._stream: _Stream | None = None
        self._tokens = 0
        self._pending_body: str | None = None  # the newest streamed body not shown yet
        self._paint = single_shot_timer(self, STREAM_PAINT_MS)
        self._paint.timeout.connect(self._show_pending)
        # Asked before a generated tune replaces the editor's text (the file controller's
        # prepare_for_generated: a new document or a new tune of the book); False cancels.
        self.prepare_document: Callable[[], bool] = lambda: True
        self.busy = False
        self.model_dir: Path | None = None  # the folder of the model loaded (provenance)
        panel.generate_requested.connect(self.generate)
        panel.stop_requested.connect(self.stop)
        panel.continue_requested.connect(self.continue_from_cursor)
        panel.variations_requested.connect(self.variations)

    def load_model(self, model_dir: Path) -> None:
        """Start loading the model on the generation thread (or report that there is none)."""
        self.model_dir = model_dir
        if self._services.model_available(model_dir):
            self.generation.load_model(model_dir)
        else:
            self.generation.set_model_missing(
                f"No trained model in {model_dir}. Generate is unavailable; editing, playback "
                "and export still work."
            )

    def _next_seed(self, values: FormValues) -> int:
        """The form's seed, or a new one each time; shown in the form."""
        seed = random.randrange(2**31 - 1) if values.new_seed_each_time else values.seed
        self._panel.show_seed(seed)
        return seed

    def _request(self, values: FormValues, prime: str = "", key: str | None = None) -> Any:
        seed = self._next_seed(values)
        return self._services.make_request(
            title=values.title,
            key=key or self._services.key_name(values.tonic, values.mode),
            meter=values.meter,
            genre=values.genre,
            tempo=values.tempo,
            temperature=values.temperature,
            seed=seed,
            max_tokens=values.max_tokens,
            prime=prime,
            bars=values.bars,
            form=self._services.form_plan(values.form),
        )

    def _can_start(self) -> bool:
        state = self.generation.model_state
        if state in ("missing", "failed"):
            self.error.emit(self._panel.model_status.toolTip() or MODEL_STATUS[state])
            return False
        if state == "loading":
            self.status.emit("Waiting for the model to finish loading…")
        return not self.busy

    def generate(self) -> None:
        if not self._can_start():
            return
        values = self._panel.values()
        try:
            request = self._request(values)
        except Exception as exc:
            self.error.emit(f"Cannot compose with these settings: {exc}")
            return
        self.generate_request(request, "simple" if values.chords else "")

    def generate_request(self, request: Any, chords: str) -> None:
        """A new tune for ``request`` (whose seed is the one used), with chords in style
        ``chords`` ("" for none); the finished tune records its provenance (the request and
        the model)."""
        if not self._can_start():
            return
        try:
            header = self._services.tune_header(request)
        except Exception as exc:
            self.error.emit(f"Cannot compose with these settings: {exc}")
            return
        if not self.prepare_document():
            self.status.emit("Generate cancelled: the open tune is kept.")
            return
        self._editor.replace_all_undoable(header)
        self._begin(_Stream(len(header), keep_header=False))
        finish = partial(
            self._services.finish_new_tune,
            request=request,
            model_dir=self.model_dir,
            chords=chords,
        )
        self.generation.generate(request, finish)

    def continue_from_cursor(self) -> None:
        if not self._can_start():
            return
        text = self._editor.toPlainText()
        try:
            tune = self._services.parse_tune(text)
        except Exception as exc:
            self.error.emit(f"Continue needs a tune with headers up to K: ({exc})")
            return
        block = self._editor.document().findBlockByNumber(max(tune.body_line - 1, 0))
        body_position = block.position() if block.isValid() else len(text)
        cursor_position = max(self._editor.textCursor().position(), body_position)
        prime = text[:cursor_position]
        values = self._tune_values(tune)
        try:
            request = self._request(values, prime=prime, key=tune.key)
        except Exception as exc:
            self.error.emit(f"Cannot continue this tune: {exc}")
            return
        cursor = QTextCursor(self._editor.document())
        cursor.beginEditBlock()
        cursor.setPosition(cursor_position)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        # The header's provenance says how the tune was first written, not the continuation.
        body_position -= _remove_provenance_lines(cursor, tune.body_line - 1)
        cursor.endEditBlock()
        self._begin(_Stream(body_position, keep_header=True))
        self.generation.generate(request)

    def _tune_values(self, tune: Any) -> FormValues:
        """The form's values with the tune's own title, meter and rhythm where it has them."""
        values = self._panel.values()
        genres = [
            self._panel.genre_combo.itemText(i) for i in range(self._panel.genre_combo.count())
        ]
        rhythm = (getattr(tune, "rhythm", None) or "").strip().lower()
        return dataclasses.replace(
            values,
            title=getattr(tune, "title", "") or values.title,
            meter=getattr(tune, "meter", "") or values.meter,
            genre=rhythm if rhythm in genres else values.genre,
        )

    def variations(self, count: int) -> None:
        """Variations of the tune in the editor; with none there, `count` new tunes."""
        if self.busy or self.regenerator.vary_current_tune(count):
            return
        if not self._can_start():
            return
        try:
            request = self._request(self._panel.values())
        except Exception as exc:
            self.error.emit(f"Cannot compose with these settings: {exc}")
            return
        self._set_busy(True)
        self.status.emit(f"Writing {count} variations…")
        self.generation.variations(request, count)

    def stop(self) -> None:
        if not self.busy:
            return
        self.generation.cancel()
        self.regenerator.forget()
        self._end()
        self.status.emit(f"Stopped after {self._tokens} tokens.")

    def _begin(self, stream: _Stream) -> None:
        self._stream = stream
        self._tokens = 0
        self._editor.setReadOnly(True)
        self._score.set_streaming(True)
        self._set_busy(True)
        self.status.emit("Composing…")

    def _end(self) -> None:
        self._show_pending()  # a stopped tune keeps every token that arrived
        self._paint.stop()
        self._stream = None
        self._editor.setReadOnly(False)
        # The engraver gets the finished text before the work that waits for the end starts.
        self._score.set_streaming(False)
        self._set_busy(False)
        # The tune is the editor's again, and Space there types, Ctrl+Space plays: never leave
        # the focus in a spin box of the form, where Space would rewrite the number.
        self._editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._panel.set_generating(busy)
        self.busy_changed.emit(busy)

    def _on_model_state(self, state: str, detail: str) -> None:
        self._panel.set_model_status(MODEL_STATUS.get(state, state))
        self._panel.model_status.setToolTip(detail)
        if state == "failed":
            self.error.emit(f"The model could not be loaded: {detail}")
        elif state == "missing":
            self.status.emit(detail)
        elif state == "ready":
            self.status.emit("Model loaded: ready to compose.")

    def _on_step(self, step: Any) -> None:
        if self._stream is None:
            return
        self._tokens += 1
        self._pending_body = step.body
        if not self._paint.isActive():
            self._show_pending()

    def _show_pending(self) -> None:
        """The newest streamed body into the editor; the next waits STREAM_PAINT_MS."""
        body, self._pending_body = self._pending_body, None
        if body is None or self._stream is None:
            return
        current = self._editor.toPlainText()[self._stream.body_position :]
        if body.startswith(current):
            self._editor.append_undoable(body[len(current) :])
        else:
            self._editor.replace_from(self._stream.body_position, body)
        self._editor.moveCursor(QTextCursor.MoveOperation.End)
        self.status.emit(f"Composing… {self._tokens} tokens")
        self._paint.start()

    def _on_finished(self, outcome: GenerationOutcome) -> None:
        stream = self._stream
        if stream is None:
            return
        if outcome.abc:
            self._pending_body = None  # the finished text replaces what streamed
            if stream.keep_header:
                body = self._services.parse_tune(outcome.abc).body
                self._editor.replace_from(stream.body_position, body)
            else:
                self._editor.replace_from(0, outcome.abc.rstrip("\n") + "\n")
        if outcome.note:
            self.error.emit(outcome.note)
        self._end()
        self.status.emit(f"Composed {self._tokens} tokens.")
        self.tune_finished.emit(self._editor.toPlainText())

    def _on_variations(self, results: tuple[tuple[str, float], ...]) -> None:
        from composeium_desktop.gui.controllers.score_preview import pick_variation
        from composeium_desktop.gui.widgets.dialogs import TuneEntry

        self._set_busy(False)
        if not results:
            self.error.emit("No variations were produced.")
            return
        entries = []
        for rank, (abc, logprob) in enumerate(results, start=1):
            entries.append(TuneEntry(f"Variation {rank}  (log-likelihood {logprob:.1f})", abc))
        self.status.emit(f"{len(entries)} variations ready.")
        chosen = pick_variation(entries, self._dialog_parent, self._services)
        if chosen is not None and self.prepare_document():
            self._editor.replace_all_undoable(entries[chosen].abc)

    def _on_failed(self, message: str) -> None:
        self.regenerator.forget()
        if self._stream is not None or self.busy:
            self._end()
        self.error.emit(f"Generation failed: {message}")

    def shutdown(self) -> None:
        self._paint.stop()
        self.generation.shutdown()


def _remove_provenance_lines(cursor: QTextCursor, header_lines: int) -> int:
    """Take the provenance lines (core.generation.provenance) out of the first
    ``header_lines`` lines, in the cursor's edit block; returns the characters taken out."""
    from composeium_desktop.core.generation.provenance import DIRECTIVE, NOTE_PREFIX

    document = cursor.document()
    removed = 0
    for number in reversed(range(header_lines)):
        block = document.findBlockByNumber(number)
        if block.isValid() and block.text().startswith((DIRECTIVE + " ", NOTE_PREFIX + " ")):
            cursor.setPosition(block.position())
            cursor.setPosition(block.position() + block.length(), QTextCursor.MoveMode.KeepAnchor)
            removed += block.length()
            cursor.removeSelectedText()
    return removed
