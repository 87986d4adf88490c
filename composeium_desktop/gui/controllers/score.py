"""Keeps the score and the error marks in step with the editor, and links notes to ABC source.

Edits are debounced (300 ms) before validation and rendering; while a tune is being generated
renders are throttled instead, so the score grows as the text does, from half a second into the
stream (a tune composed sooner goes straight to its finished score, with no half-tune engraved
on the way). The render worker keeps only the newest request. Each request lays the score out for the view's page size at its zoom
(Verovio's pageWidth/pageHeight/scale), so a resize or a zoom re-flows the staves.
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QObject, Signal

from composeium_desktop.core.abcnotation.header import tunebook_spans
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor, ErrorMark
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.workers import RenderFailure, RenderWorker, single_shot_timer

DEBOUNCE_MS = 300
STREAM_THROTTLE_MS = 250
STREAM_FIRST_RENDER_MS = 500
RENDER_ZOOM = 40  # Verovio's scale at the view's 100%
MAX_PAGE_UNITS = 60_000  # Verovio's limit for pageWidth / pageHeight


def layout_options(width_px: int, height_px: int, zoom: int) -> dict[str, int]:
    """Verovio layout for a page of width_px x height_px pixels at `zoom` percent.

    At scale s a layout unit is s/100 pixels, so a page W pixels wide is W * 100 / s units.
    """
    scale = max(1, round(RENDER_ZOOM * zoom / 100))
    return {
        "zoom": scale,
        "page_width": max(100, min(MAX_PAGE_UNITS, width_px * 100 // scale)),
        "page_height": max(100, min(MAX_PAGE_UNITS, height_px * 100 // scale)),
    }


class ScoreController(QObject):
    """rendered(RenderResult) after each successful render; render_failed(str) otherwise."""

    rendered = Signal(object)
    render_failed = Signal(str)
    errors_changed = Signal(int)

    def __init__(
        self,
        editor: ABCEditor,
        score: ScoreView,
        services: CoreServices,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._editor = editor
        self._score = score
        self._services = services
        self._worker = RenderWorker(services.make_renderer, self)
        self._worker.rendered.connect(self._on_rendered)
        self._worker.failed.connect(self._on_failed)
        self._debounce = single_shot_timer(self, DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh_now)
        self._throttle = single_shot_timer(self, STREAM_THROTTLE_MS)
        self._throttle.timeout.connect(self._render_only)
        self._streaming = False
        self._stream_rendered = False  # a render of the stream's text has been asked for
        self._transpose = 0
        self.result: Any = None
        self._line_index: list[tuple[int, int, str]] = []
        self._suppress_cursor_link = False
        self._layouts: dict[int, tuple[int, Any]] = {}  # request id -> (zoom, page size)
        self._last_text = ""
        self._texts: dict[int, str] = {}  # request id -> text, for the results still to come
        self._result_text = ""
        self._score_span: tuple[int, int] | None = None
        editor.textChanged.connect(self._on_text_changed)
        editor.cursor_moved.connect(self._on_cursor_moved)
        score.note_clicked.connect(self._on_note_clicked)
        score.note_extended.connect(lambda element_id: self._on_note_clicked(element_id, True))
        score.notes_dragged.connect(self._on_notes_dragged)
        score.layout_changed.connect(self._relayout)

    def set_streaming(self, streaming: bool) -> None:
        """While streaming, renders are throttled and validation waits for the end."""
        self._streaming = streaming
        # The text before the stream (a new tune's header) is not worth its own render.
        self._debounce.stop()
        self._throttle.stop()
        self._stream_rendered = False
        if not streaming:
            self.refresh_now()

    def refresh_now(self) -> None:
        """Validate and render the current text immediately."""
        self._debounce.stop()
        text = self._editor.toPlainText()
        # The engraver is asked first: the error marks are worked out while it engraves.
        self._request(self._score_text(text))
        self._show_validation(text)

    def _on_text_changed(self) -> None:
        if self._streaming:
            if not self._throttle.isActive():
                # The first streamed render waits for half a second of the stream's text.
                first = not self._stream_rendered
                self._throttle.start(STREAM_FIRST_RENDER_MS if first else STREAM_THROTTLE_MS)
        else:
            self._debounce.start()

    def _render_only(self) -> None:
        self._stream_rendered = True
        self._request(self._score_text(self._editor.toPlainText()))

    def _score_text(self, text: str) -> str:
        """The tune under the cursor when the editor holds several (pasted together), with the
        lines before it left blank so that the score's source lines stay the editor's."""
        spans = tunebook_spans(text)
        if len(spans) < 2:
            self._score_span = None
            return text
        position = self._editor.textCursor().position()
        start, end = next((s for s in reversed(spans) if s[0] <= position), spans[0])
        self._score_span = (start, end)
        return "\n" * text.count("\n", 0, start) + text[start:end]

    def _relayout(self) -> None:
        # The text last sent, not the editor's: an edit still being typed waits its debounce.
        if self._last_text.strip():
            self._request(self._last_text)

    def _request(self, text: str) -> None:
        self._last_text = text
        if not text.strip():
            self.result = None
            self._line_index = []
            self._score.clear()
            return
        zoom, size = self._score.zoom, self._score.page_size()
        layout = layout_options(size.width(), size.height(), zoom)
        options = self._services.render_options(
            zoom=layout["zoom"],
            transpose=self._transpose,
            page_width=layout["page_width"],
            page_height=layout["page_height"],
        )
        request_id = self._worker.request(text, options)
        self._layouts = {request_id: (zoom, size)}
        self._texts = {i: t for i, t in self._texts.items() if i > request_id - 8}
        self._texts[request_id] = text

    def _show_validation(self, text: str) -> None:
        try:
            problems = self._services.validate(text) if text.strip() else []
        except Exception as exc:  # a validator bug must not take the editor down
            problems = []
            self.render_failed.emit(f"Validation failed: {exc}")
        marks = tuple(
            ErrorMark(
                int(getattr(p, "line", 1) or 1),
                int(getattr(p, "column", 1) or 1),
                str(getattr(p, "message", p)),
                str(getattr(p, "severity", "error")),
            )
            for p in problems
        )
        self._editor.set_errors(marks)
        self.errors_changed.emit(len(marks))

    def _on_rendered(self, request_id: int, result: Any) -> None:
        if request_id != self._worker.latest_id and not self._streaming:
            return
        self.result = result
        self._result_text = self._texts.get(request_id, self._last_text)
        self._line_index = sorted(
            (int(line), int(col), element_id)
            for element_id, (line, col) in result.positions.items()
        )
        zoom, size = self._layouts.get(request_id, (None, None))
        self._score.clickable = frozenset(result.positions)
        self._score.set_pages(tuple(result.pages), dict(result.page_of), zoom, size)
        self.rendered.emit(result)

    def _on_failed(self, request_id: int, failure: RenderFailure) -> None:
        # A half-written tune often cannot be engraved; only the finished text is judged.
        if request_id != self._worker.latest_id or self._streaming:
            return
        where = f" (line {failure.line}, column {failure.column})" if failure.line else ""
        if failure.line:
            existing = self._editor.errors
            mark = ErrorMark(failure.line, failure.column or 1, failure.message)
            if mark not in existing:
                self._editor.set_errors((*existing, mark))
        self.render_failed.emit(f"Score not updated: {failure.message}{where}")

    def rendered_text(self) -> str:
        """The text the score shows (one tune of a book, the lines before it blank)."""
        return self._result_text if self.result is not None else ""

    def element_at_cursor(self, line: int, column: int) -> str | None:
        """The engraved element whose ABC source starts at or before (line, column) on that line."""
        index = bisect.bisect_right(self._line_index, (line, column, "\uffff")) - 1
        if index >= 0 and self._line_index[index][0] == line:
            return self._line_index[index][2]
        return None

    def _on_cursor_moved(self, line: int, column: int) -> None:
        if self._suppress_cursor_link:
            return
        span = self._score_span
        if span is not None and not span[0] <= self._editor.textCursor().position() <= span[1]:
            self._debounce.start()  # the cursor moved to another tune: engrave that one
        self._score.highlight_cursor_note(self.element_at_cursor(line, column))

    def _on_notes_dragged(self, element_ids: tuple[str, ...]) -> None:
        """A rubber band over notes selects them in the editor, first to last as written."""
        if self.result is None:
            return
        written = sorted(
            self.result.positions[e] for e in element_ids if e in self.result.positions
        )
        if not written:
            return
        (line, column), (last_line, last_column) = written[0], written[-1]
        self._suppress_cursor_link = True
        try:
            self._editor.move_cursor_to(int(line), int(column))
            self._editor.move_cursor_to(int(last_line), int(last_column) + 1, extend=True)
        finally:
            self._suppress_cursor_link = False
        self._editor.setFocus()

    def _on_note_clicked(self, element_id: str, extend: bool = False) -> None:
        """The editor's cursor goes to the clicked note (`extend`: selects up to it)."""
        if self.result is None or element_id not in self.result.positions:
            return
        line, column = self.result.positions[element_id]
        if extend and self._editor.position_of(int(line), int(column)) is not None:
            # Selecting forward takes the clicked note in, as a drag over it would.
            anchor = self._editor.textCursor().anchor()
            if anchor <= (self._editor.position_of(int(line), int(column)) or 0):
                column += 1
        self._suppress_cursor_link = True
        try:
            self._editor.move_cursor_to(int(line), int(column), extend)
        finally:
            self._suppress_cursor_link = False
        self._editor.setFocus()

    def warm_up(self) -> None:
        """Start the engraver now, so the first score is not kept waiting for it to start."""
        self._worker.warm_up()

    def shutdown(self) -> None:
        self._score.cancel_pending_layout()
        self._debounce.stop()
        self._throttle.stop()
        self._worker.shutdown()
