"""Practice in the window: loop a part or the selected bars, shown in the editor and the score,
and play from the cursor or a clicked note.

The parts come from the notation core's form reader through core.audio.practice_map (a part
loops as the tune performs it: a repeated part twice per pass, first ending then second). The
loop itself lives in the playback controller, in the score's time; this controller finds the
times and shows them: the editor tints the looped bars, the score tints the looped measures.
A click on a note while stopped or paused moves the start there, a double click (or Play from
cursor) plays from it; Shift+click or a drag over notes selects bars in the editor (Loop bars
loops them; with a loop on, the loop moves to them at once).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from composeium_desktop.core.audio.practice_map import (
    PartLoop,
    element_from,
    loop_source_range,
    part_loops,
)
from composeium_desktop.gui.controllers.playback import PlaybackController
from composeium_desktop.gui.controllers.score import ScoreController
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.widgets.transport_bar import TransportBar


class PracticeController(QObject):
    """parts_changed(tuple[PartLoop, ...]) after each render."""

    status = Signal(str)
    parts_changed = Signal(object)

    def __init__(
        self,
        playback: PlaybackController,
        transport: TransportBar,
        editor: ABCEditor,
        view: ScoreView,
        score: ScoreController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback = playback
        self._transport = transport
        self._editor = editor
        self._view = view
        self._score = score
        self.parts: tuple[PartLoop, ...] = ()
        self._part: int = -1  # the part looped, -1: none
        transport.loop_selection_requested.connect(self.loop_selection)
        transport.loop_part_requested.connect(self.loop_part)
        playback.loop_changed.connect(self._show_loop)
        score.rendered.connect(self._on_rendered)
        view.note_clicked.connect(self._on_note_clicked)
        view.note_activated.connect(lambda element_id: self.play_from_element(element_id))
        # Connected after the score controller, which selects the notes in the editor first.
        view.note_extended.connect(lambda _id: self._follow_selection())
        view.notes_dragged.connect(lambda _ids: self._follow_selection())

    def _on_rendered(self, result: Any) -> None:
        try:
            parts = part_loops(self._score.rendered_text(), result.timemap, result.positions)
        except Exception as exc:  # a form the reader cannot follow offers no parts
            parts = ()
            self.status.emit(f"No parts to loop: {exc}")
        if parts != self.parts:
            self.parts = parts
            self._transport.set_parts(tuple(part.title for part in parts))
            self.parts_changed.emit(parts)
            if 0 <= self._part < len(parts):  # an edit moved the part looped: follow it
                part = parts[self._part]
                self._playback.set_loop_span((part.start_ms, part.end_ms))
                self._transport.show_part(self._part)
            elif self._part >= 0:
                self._playback.set_loop_span(None)
        self._show_loop(self._playback.loop)

    def loop_part(self, index: int) -> None:
        """Loop part `index` of the tune under the cursor (-1: stop looping a part)."""
        if not 0 <= index < len(self.parts):
            if self._part >= 0:
                self._part = -1
                self._playback.set_loop_span(None)
            return
        part = self.parts[index]
        self._playback.set_loop_span((part.start_ms, part.end_ms))
        self._part = index
        self._transport.show_part(index)
        self.status.emit(f"Looping {part.title}.")

    def loop_selection(self) -> None:
        """Loop the bars selected in the editor (Shift+click in the score selects too)."""
        times = self.selection_times()
        if times is None:
            self.status.emit("Select the notes to loop in the editor or the score first.")
            return
        self._playback.set_loop_span(times)
        self._part = -1
        self._transport.show_part(-1)
        self.status.emit(f"Looping {times[0] / 1000:.1f}-{times[1] / 1000:.1f} s of the tune.")

    def _follow_selection(self) -> None:
        """Bars selected in the score while a loop is on become the loop."""
        if self._transport.loop_button.isChecked():
            self.loop_selection()

    def selection_times(self) -> tuple[float, float] | None:
        """The editor selection as (start, end) in the score's time."""
        result = self._score.result
        cursor = self._editor.textCursor()
        if result is None or not cursor.hasSelection():
            return None
        doc = self._editor.document()
        ends = []
        for position in (
            cursor.selectionStart(),
            max(cursor.selectionStart(), cursor.selectionEnd() - 1),
        ):
            block = doc.findBlock(position)
            ends.append(result.element_at(block.blockNumber() + 1, position - block.position() + 1))
        first, last = ends
        timemap = self._playback.timemap
        ons = [float(e.on_ms) for e in timemap if e.id == first]
        if first is None or last is None or not ons:
            return None
        start = min(ons)
        offs = [float(e.off_ms) for e in timemap if e.id == last and float(e.off_ms) > start]
        return (start, min(offs)) if offs else None

    def _show_loop(self, span: tuple[float, float] | None) -> None:
        """Tint the looped bars in the editor and the looped measures in the score."""
        result = self._score.result
        if span is None or result is None:
            self._editor.set_loop_range(0, 0)
            self._view.show_loop(())
            if span is None and self._part >= 0:
                self._part = -1
                self._transport.show_part(-1)
            return
        start, end = span
        timemap = self._playback.timemap
        self._view.show_loop(
            tuple(e.id for e in timemap if start - 0.5 <= float(e.on_ms) < end - 0.5)
        )
        where = loop_source_range(result.positions, timemap, start, end)
        if where is None:
            self._editor.set_loop_range(0, 0)
            return
        first = self._editor.position_of(*where[0])
        last = self._editor.position_of(*where[1])
        if first is not None and last is not None:
            self._editor.set_loop_range(first, last)

    def onset(self, element_id: str) -> float | None:
        """When an engraved element sounds (score time): at or after the current position
        while paused, else its first time."""
        ons = sorted(float(e.on_ms) for e in self._playback.timemap if e.id == element_id)
        if not ons:
            return None
        now = self._transport.position_slider.value() if self._playback.playing else 0
        return next((t for t in ons if t >= now - 1.0), ons[0])

    def play_from_element(self, element_id: str) -> bool:
        ms = self.onset(element_id)
        if ms is None:
            return False
        self._playback.cue(ms, start=True)
        return True

    def play_from_cursor(self) -> None:
        """Play from the note at the editor's cursor, or the next one after it."""
        result = self._score.result
        line, column = self._editor.cursor_line_column()
        element_id = element_from(result.positions, (line, column)) if result else None
        if element_id is None or not self.play_from_element(element_id):
            self.status.emit("No note at or after the cursor to play from.")

    def _on_note_clicked(self, element_id: str) -> None:
        """Stopped or paused, a clicked note is where playing (re)starts."""
        if self._playback.playing and not self._playback.paused:
            return
        ms = self.onset(element_id)
        if ms is not None:
            self._playback.cue(ms)
