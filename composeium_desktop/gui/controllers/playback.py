"""Playback in the window: transport bar <-> core player, and the score cursor that follows it.

The core Player renders audio on its own thread and reports PlaybackPosition values, which the
PlayerAdapter turns into signals. MIDI is made off the GUI thread. Without an audio device the
transport says why and everything else keeps working. Play always plays the editor's current
text, so a replay after an edit plays the edit. The transport's swing goes into the MIDI (core
lilt) for playback and for audio exports alike; changing it while playing remakes the MIDI and
carries on from the same place.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

from composeium_desktop.gui.controllers.score import ScoreController
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.widgets.transport_bar import TransportBar
from composeium_desktop.gui.workers import PlayerAdapter, TaskRunner, describe_error


@dataclass(frozen=True)
class _Prepared:
    """MIDI made for one text at one tempo, instrument and swing; `resume_ms` is where to go
    on (None: a fresh Play), `start` whether to sound at once (False: stay paused)."""

    text: str
    midi: Any
    lilt: Any = None
    resume_ms: float | None = None
    start: bool = True


class PlaybackController(QObject):
    """Drives the core player from the transport bar."""

    status = Signal(str)

    def __init__(
        self,
        transport: TransportBar,
        editor: ABCEditor,
        score_view: ScoreView,
        score: ScoreController,
        services: CoreServices,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._transport = transport
        self._editor = editor
        self._view = score_view
        self._score = score
        self._services = services
        self.adapter = PlayerAdapter(self)
        self.adapter.position_changed.connect(self._on_position)
        self.adapter.finished.connect(self._on_finished)
        self.adapter.error.connect(self._on_error)
        self._tasks = TaskRunner("audio", self)
        self._tasks.succeeded.connect(self._on_prepared)
        self._tasks.failed.connect(lambda _id, message: self._on_error(message))
        self._player: Any = None
        self._loaded_text: str | None = None
        self._loaded_lilt: Any = None
        self._pending_task = 0
        self._tune_tempo: float | None = None
        self._onsets: list[float] = []
        self._timemap: list[Any] = []
        self._midi_tempo: float | None = None
        self._loop_times: tuple[float, float] | None = None
        self.playing = False
        self.paused = False
        self.soundfont = ""
        self.device = ""
        transport.play_toggled.connect(self.toggle)
        transport.stop_requested.connect(self.stop)
        transport.loop_toggled.connect(self._on_loop)
        transport.tempo_changed.connect(self._on_tempo)
        transport.program_changed.connect(self._on_program)
        transport.seek_requested.connect(self.seek)
        transport.count_in_toggled.connect(lambda on: self._practice("set_count_in", int(on)))
        transport.metronome_toggled.connect(lambda on: self._practice("set_metronome", on))
        transport.mute_melody_toggled.connect(lambda on: self._practice("set_mute_melody", on))
        transport.ramp_changed.connect(self._on_ramp)
        transport.swing_changed.connect(self._on_swing)
        transport.loop_selection_requested.connect(self.loop_selection)
        score.rendered.connect(self._on_rendered)
        self._tune_ms = 0.0
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Space plays/pauses unless a text field has the focus; Ctrl+Space works everywhere."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(event, QKeyEvent) or event.key() != Qt.Key.Key_Space:
            return False
        focus = QApplication.focusWidget()
        if focus is None or focus is not watched or focus.window() is not self._transport.window():
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if kind == QEvent.Type.ShortcutOverride:
            # Space is decided here on the key press, never by a menu shortcut as well.
            if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier):
                event.accept()
                return True
            return False
        if event.isAutoRepeat():
            return False
        if modifiers == Qt.KeyboardModifier.ControlModifier:
            self.toggle()
            return True
        typing = isinstance(focus, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)) or (
            isinstance(focus, QComboBox) and focus.isEditable()
        )
        if modifiers == Qt.KeyboardModifier.NoModifier and not typing:
            self.toggle()
            return True
        return False

    def _practice(self, name: str, value: Any) -> None:
        if self._player is not None:
            self._call(name, value)

    def _on_ramp(self, start: float | None) -> None:
        if self._player is not None:
            from composeium_desktop.gui.widgets.transport_bar import RAMP_STEP

            self._call("set_ramp", start, RAMP_STEP)

    def _apply_practice(self) -> None:
        """The transport's practice settings on a (new) player."""
        from composeium_desktop.gui.widgets.transport_bar import RAMP_STEP

        transport = self._transport
        self._player.set_count_in(1 if transport.count_in_button.isChecked() else 0)
        self._player.set_metronome(transport.metronome_button.isChecked())
        self._player.set_mute_melody(transport.mute_button.isChecked())
        self._player.set_ramp(transport.ramp_start(), RAMP_STEP)

    def selection_times(self) -> tuple[float, float] | None:
        """The editor selection as (start, end) in the tune's own time, from the score's timemap."""
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
        if first is None or last is None:
            return None
        ons = [float(e.on_ms) for e in self._timemap if e.id == first]
        if not ons:
            return None
        start = min(ons)
        offs = [float(e.off_ms) for e in self._timemap if e.id == last and float(e.off_ms) > start]
        return (start, min(offs)) if offs else None

    def loop_selection(self) -> None:
        """Loop the bars selected in the editor (the transport's Loop button turns on)."""
        times = self.selection_times()
        if times is None:
            self.status.emit("Select the notes to loop in the editor first.")
            return
        self._loop_times = times
        self._transport.loop_button.setChecked(True)
        if self._player is not None and self._loaded_text is not None:
            self._set_loop()
        self.status.emit(f"Looping {times[0] / 1000:.1f}-{times[1] / 1000:.1f} s of the tune.")

    def _set_loop(self) -> None:
        """The Loop button's loop on the player: the selection, or the whole tune."""
        if not self._transport.loop_button.isChecked():
            self._player.set_loop(None)
            return
        if self._loop_times is None:
            self._player.set_loop(0.0)
            return
        scale = (
            self._tune_tempo / self._midi_tempo if self._tune_tempo and self._midi_tempo else 1.0
        )
        start, end = (t * scale for t in self._loop_times)
        self._player.set_loop(start, end)
        if not start <= self._player.position().ms < end:
            self._player.seek(start)

    def lilt(self) -> Any:
        """The core Lilt for the transport's swing (accents and rolls always played)."""
        from composeium_desktop.core.audio.lilt import Lilt

        return Lilt(swing=self._transport.swing())

    def options(self) -> dict[str, Any]:
        """Tempo, instrument, swing and SoundFont as audio exports should use them."""
        options: dict[str, Any] = {
            "tempo": self._transport.tempo_spin.value(),
            "program": self._transport.program_combo.currentIndex(),
            "lilt": self.lilt(),
        }
        if self.soundfont:
            options["soundfont"] = self.soundfont
        return options

    def configure(self, soundfont: str, device: str) -> None:
        """New SoundFont or output device: the next Play uses them."""
        if (soundfont, device) != (self.soundfont, self.device):
            self.soundfont, self.device = soundfont, device
            self.stop()
            self._close_player()

    def _ensure_player(self) -> bool:
        if self._player is not None:
            return True
        try:
            player = self._services.make_player(self.soundfont, self.device)
        except Exception as exc:
            self._on_error(describe_error(exc))
            return False
        self.adapter.attach(player)
        self._player = player
        try:
            self._apply_practice()
        except Exception as exc:
            self._on_error(describe_error(exc))
        self._transport.show_message("")
        return True

    def toggle(self) -> None:
        if self.playing and not self.paused:
            self._call("pause")
            self.paused = True
            self._transport.set_playing(False)
            self.status.emit("Paused.")
        elif self.playing and self.paused:
            self._call("resume")
            self.paused = False
            self._transport.set_playing(True)
            self.status.emit("Playing.")
        else:
            self.play()

    def play(self) -> None:
        text = self._editor.toPlainText()
        if not text.strip():
            self.status.emit("Nothing to play: the editor is empty.")
            return
        if not self._ensure_player():
            return
        if text == self._loaded_text and self.lilt() == self._loaded_lilt:
            self._start()
            return
        self._prepare(text)

    def _prepare(self, text: str, resume_ms: float | None = None, start: bool = True) -> None:
        """Make the MIDI off the GUI thread; _on_prepared loads (and plays) it."""
        tempo = self._transport.tempo_spin.value()
        program = self._transport.program_combo.currentIndex()
        lilt = self.lilt()
        make_midi = self._services.make_midi
        self.status.emit("Preparing playback…")
        self._pending_task = self._tasks.submit(
            lambda: _Prepared(text, make_midi(text, tempo, program, lilt), lilt, resume_ms, start)
        )

    def _on_swing(self, _swing: object) -> None:
        """A new swing: what plays is remade from the same place (else the next Play does)."""
        if self._player is None or self._loaded_text is None or not self.playing:
            return
        self._prepare(self._loaded_text, self._player.position().ms, start=not self.paused)

    def _on_prepared(self, task_id: int, prepared: _Prepared) -> None:
        if task_id != self._pending_task or self._player is None:
            return
        try:
            self._player.load(prepared.midi)
        except Exception as exc:
            self._on_error(describe_error(exc))
            return
        self._loaded_text, self._loaded_lilt = prepared.text, prepared.lilt
        self._midi_tempo = float(prepared.midi.tempo)
        self._transport.set_duration(float(prepared.midi.duration_ms))
        if prepared.resume_ms is None:
            self._start()
            return
        try:  # a new swing: on from the same place, with no count-in (paused stays paused)
            self._set_loop()
            self._player.seek(prepared.resume_ms)
            if prepared.start:
                self._player.resume()
        except Exception as exc:
            self._on_error(describe_error(exc))

    def _start(self) -> None:
        try:
            self._set_loop()
            self._player.play()
        except Exception as exc:
            self._on_error(describe_error(exc))
            return
        self.playing, self.paused = True, False
        self._transport.set_playing(True)
        self._transport.show_message("")
        self.status.emit("Playing.")

    def stop(self) -> None:
        self._pending_task = 0
        if self._player is not None:
            self._call("stop")
        if self.playing:
            self.status.emit("Stopped.")
        self.playing = self.paused = False
        self._transport.set_playing(False)
        self._transport.set_position(0.0)
        self._view.highlight_playing_note(None)
        self._editor.set_note_highlight(0, 0)

    def seek(self, ms: float) -> None:
        if self._player is not None and self._loaded_text is not None:
            self._call("seek", ms)

    def _call(self, name: str, *args: Any) -> None:
        try:
            getattr(self._player, name)(*args)
        except Exception as exc:
            self._on_error(describe_error(exc))

    def _on_loop(self, loop: bool) -> None:
        if not loop:
            self._loop_times = None
        if self._player is not None and self._loaded_text is not None:
            try:
                self._set_loop()
            except Exception as exc:
                self._on_error(describe_error(exc))

    def _on_tempo(self, bpm: int) -> None:
        if self._player is not None and self._loaded_text is not None:
            self._call("set_tempo", float(bpm))
        self._show_duration(keep_position=True)

    def _show_duration(self, keep_position: bool = False) -> None:
        """The total time of the tune at the transport's tempo (before and while playing)."""
        bpm = float(self._transport.tempo_spin.value())
        if self._loaded_text == self._editor.toPlainText() and self._midi_tempo:
            return  # the loaded MIDI's duration (its slider scale) stays
        if self._tune_ms and self._tune_tempo and bpm:
            self._transport.set_duration(self._tune_ms * self._tune_tempo / bpm, keep_position)

    def _on_program(self, program: int) -> None:
        if self._player is not None:
            self._call("set_program", program)

    def _on_rendered(self, result: Any) -> None:
        """Keep the score's timemap; a tune whose own tempo (Q:) changed brings that tempo to
        the transport."""
        self._timemap = sorted(result.timemap, key=lambda e: e.on_ms)
        self._onsets = [float(e.on_ms) for e in self._timemap]
        self._tune_ms = max((float(e.off_ms) for e in self._timemap), default=0.0)
        tempo = getattr(result, "tempo", None)
        if tempo and tempo != self._tune_tempo:
            self._tune_tempo = tempo
            self._transport.set_tempo(round(tempo))
        if not self.playing:
            self._show_duration()

    def score_element_at(self, player_ms: float) -> str | None:
        """The engraved element sounding at a player time.

        Looked up by time in the score's own timemap: element ids differ between engravings,
        so the player's ids cannot be matched to the displayed score. Player times are in the
        MIDI's tempo, the score's timemap in the tune's own tempo.
        """
        scale = (
            (self._midi_tempo / self._tune_tempo) if self._midi_tempo and self._tune_tempo else 1.0
        )
        ms = player_ms * scale
        index = bisect.bisect_right(self._onsets, ms) - 1
        if index < 0:
            return None
        element = self._timemap[index]
        return element.id if ms < float(element.off_ms) + 1.0 else None

    def _on_position(self, position: Any) -> None:
        if not self.playing:
            return
        self._transport.set_position(float(position.ms))
        element_id = self.score_element_at(float(position.ms))
        self._view.highlight_playing_note(element_id)
        result = self._score.result
        if element_id and result is not None and element_id in result.positions:
            line, column = result.positions[element_id]
            self._editor.set_note_highlight(int(line), int(column))

    def _on_finished(self) -> None:
        self.stop()

    def _on_error(self, message: str) -> None:
        self.playing = self.paused = False
        self._transport.set_playing(False)
        self._transport.show_message(f"No sound: {message}")
        self.status.emit(f"Playback unavailable: {message}. Editing and export still work.")

    def _close_player(self) -> None:
        if self._player is not None:
            try:
                self._player.close()
            except Exception as exc:
                self.status.emit(f"Closing the audio player failed: {describe_error(exc)}")
            self._player = None
            self._loaded_text = None

    def shutdown(self) -> None:
        self._tasks.shutdown()
        self.stop()
        self._close_player()
