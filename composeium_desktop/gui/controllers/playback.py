"""Playback in the window: transport bar <-> core player, and the score cursor that follows it.

The core Player renders audio on its own thread and reports PlaybackPosition values, which the
PlayerAdapter turns into signals. MIDI is made off the GUI thread. Without an audio device the
transport says why and everything else keeps working. Play always plays the editor's current
text, so a replay after an edit plays the edit. The transport's swing goes into the MIDI (core
lilt) for playback and for audio exports alike; changing it while playing remakes the MIDI and
carries on from the same place.

Times: the slider, loops and the cue (where the next Play starts) are in the score's time (the
tune straight, at its own tempo); the player's time is the MIDI's, swung by the lilt. A
core TimeLink pairs the two timemaps, so the cursor, a clicked note and a loop land on the note
the player plays. The MIDI is made at the tune's own tempo (Q:, the truth); the transport's
tempo, counted in Q:'s beat, sets the player's rate, and the time label shows real time.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from composeium_desktop.core.audio.practice_map import TimeLink
from composeium_desktop.core.audio.tempo import TempoBeat, tempo_beat
from composeium_desktop.gui.controllers.playback_keys import SpaceKeys
from composeium_desktop.gui.controllers.score import ScoreController
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.widgets.transport_bar import RAMP_STEP, TransportBar
from composeium_desktop.gui.workers import (
    PlayerAdapter,
    TaskRunner,
    describe_error,
    single_shot_timer,
)

PRELOAD_DELAY_MS = 2000


@dataclass(frozen=True)
class _Prepared:
    """MIDI made for one text at its own tempo with one instrument and swing; `resume_ms` is
    where to go on in player time (None: a fresh Play), `start` whether to sound at once."""

    text: str
    midi: Any
    lilt: Any = None
    resume_ms: float | None = None
    start: bool = True


class PlaybackController(QObject):
    """Drives the core player from the transport bar.

    loop_changed((start, end) | None) in score time whenever the loop the player keeps changes.
    """

    status = Signal(str)
    loop_changed = Signal(object)

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
        self._preloads = TaskRunner("synth", self)
        self._preloads.succeeded.connect(self._on_preloaded)
        self._preloads.failed.connect(self._on_preload_failed)
        self._preload_task = 0
        self._shut = False
        # Loading a SoundFont takes seconds and a core: after start-up's own work is done.
        self._preload_timer = single_shot_timer(self, PRELOAD_DELAY_MS)
        self._preload_timer.timeout.connect(self.preload)
        self._player: Any = None
        self._loaded_text: str | None = None
        self._loaded_lilt: Any = None
        self._pending_task = 0
        self._tune_tempo: float | None = None  # quarters a minute, as the score was engraved
        self._beat = TempoBeat()
        self._onsets: list[float] = []
        self.timemap: list[Any] = []  # the score's, by onset
        self._score_order: tuple[Any, ...] = ()  # the score's, in its own order
        self.link = TimeLink()
        self._loop: tuple[float, float] | None = None  # score time
        self._cue_ms: float | None = None  # score time
        self._tune_ms = 0.0
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
        score.rendered.connect(self._on_rendered)
        self.keys = SpaceKeys(transport.window, lambda: self.toggle(), self)

    def _practice(self, name: str, value: Any) -> None:
        if self._player is not None:
            self._call(name, value)

    def _on_ramp(self, start: float | None) -> None:
        if self._player is not None:
            self._call("set_ramp", start, RAMP_STEP)

    def _apply_practice(self) -> None:
        """The transport's practice settings on a (new) player."""
        transport = self._transport
        self._player.set_count_in(1 if transport.count_in_button.isChecked() else 0)
        self._player.set_metronome(transport.metronome_button.isChecked())
        self._player.set_mute_melody(transport.mute_button.isChecked())
        self._player.set_ramp(transport.ramp_start(), RAMP_STEP)

    # -- loops and the cue (score time) -------------------------------------------------------
    @property
    def loop(self) -> tuple[float, float] | None:
        """The loop asked for, in score time (None: the whole tune, or no loop)."""
        return self._loop if self._transport.loop_button.isChecked() else None

    def set_loop_span(self, span: tuple[float, float] | None) -> None:
        """Loop between two score times (the Loop button turns on); None ends the loop."""
        self._loop = span
        self._transport.loop_button.setChecked(span is not None)
        self._apply_loop()

    def _apply_loop(self) -> None:
        if self._player is not None and self._loaded_text is not None:
            try:
                self._set_loop()
            except Exception as exc:
                self._on_error(describe_error(exc))
        self.loop_changed.emit(self.loop)

    def _set_loop(self) -> None:
        """The Loop button's loop on the player: the span asked for, or the whole tune."""
        if not self._transport.loop_button.isChecked():
            self._player.set_loop(None)
            return
        if self._loop is None:
            self._player.set_loop(0.0)
            return
        start, end = (self.link.to_player(t) for t in self._loop)
        self._player.set_loop(start, end)
        if not start <= self._player.position().ms < end:
            self._player.seek(start)

    def cue(self, score_ms: float, start: bool = False) -> None:
        """Go to a score time: paused or playing, the player jumps there; stopped, the next
        Play starts there. `start` plays from it at once."""
        self._cue_ms = max(0.0, score_ms)
        self._transport.set_position(self._cue_ms)
        if self.playing and self._player is not None and self._loaded_text is not None:
            self._call("seek", self.link.to_player(self._cue_ms))
            self._cue_ms = None
            if start and self.paused:
                self.toggle()
        elif start:
            self.play()

    def lilt(self) -> Any:
        """The core Lilt for the transport's swing (accents and rolls always played)."""
        from composeium_desktop.core.audio.lilt import Lilt

        return Lilt(swing=self._transport.swing())

    def options(self) -> dict[str, Any]:
        """Tempo (quarters a minute), instrument, swing and SoundFont for audio exports."""
        options: dict[str, Any] = {
            "tempo": self._transport.quarter_bpm(),
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

    def preload_later(self) -> None:
        """Preload the player once the window has settled (see preload)."""
        self._preload_timer.start()

    def preload(self) -> None:
        """Make the player and load its SoundFont off the GUI thread, so the first Play is as
        quick as the rest. What fails here (no device, no SoundFont) is what Play then reports."""
        if self._player is not None or self._preload_task or self._shut:
            return
        soundfont, device, make = self.soundfont, self.device, self._services.make_player

        def job() -> tuple[str, str, Any]:
            player = make(soundfont, device)
            load = getattr(player, "load_soundfont", None)
            if load is not None:
                load()
            return soundfont, device, player

        self._preload_task = self._preloads.submit(job)

    def _on_preloaded(self, _task: int, result: tuple[str, str, Any]) -> None:
        self._preload_task = 0
        soundfont, device, player = result
        current = (soundfont, device) == (self.soundfont, self.device)
        if self._player is None and current and not self._shut:
            self._attach(player)
        else:
            player.close()

    def _on_preload_failed(self, _task: int, _message: str) -> None:
        self._preload_task = 0  # Play makes the player again and shows why it cannot

    def _ensure_player(self) -> bool:
        if self._player is not None:
            return True
        try:
            player = self._services.make_player(self.soundfont, self.device)
        except Exception as exc:
            self._on_error(describe_error(exc))
            return False
        self._attach(player)
        return True

    def _attach(self, player: Any) -> None:
        self.adapter.attach(player)
        self._player = player
        try:
            self._apply_practice()
        except Exception as exc:
            self._on_error(describe_error(exc))
        self._transport.show_message("")

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
        """Make the MIDI (at the tune's own tempo) off the GUI thread; _on_prepared loads it."""
        program = self._transport.program_combo.currentIndex()
        lilt = self.lilt()
        make_midi = self._services.make_midi
        self.status.emit("Preparing playback…")
        self._pending_task = self._tasks.submit(
            lambda: _Prepared(text, make_midi(text, None, program, lilt), lilt, resume_ms, start)
        )

    def _on_swing(self, _swing: object) -> None:
        """A new swing: what plays is remade from the same place (else the next Play does)."""
        if self._player is None or self._loaded_text is None or not self.playing:
            return
        resume = self.link.to_score(self._player.position().ms)
        self._prepare(self._loaded_text, resume, start=not self.paused)

    def _on_prepared(self, task_id: int, prepared: _Prepared) -> None:
        if task_id != self._pending_task or self._player is None:
            return
        try:
            self._player.load(prepared.midi)
        except Exception as exc:
            self._on_error(describe_error(exc))
            return
        self._loaded_text, self._loaded_lilt = prepared.text, prepared.lilt
        midi_tempo = float(prepared.midi.tempo)
        scale = self._tune_tempo / midi_tempo if self._tune_tempo else 1.0
        played = tuple(getattr(prepared.midi, "timemap", ()))
        self.link = TimeLink(self._score_order, played, scale)
        self._tune_tempo = self._tune_tempo or midi_tempo
        self._call("set_tempo", self._transport.quarter_bpm())
        self._tune_ms = self.link.to_score(float(prepared.midi.duration_ms))
        self._show_duration(keep_position=prepared.resume_ms is not None)
        if prepared.resume_ms is None:
            self._start()
            return
        try:  # a new swing: on from the same place, with no count-in (paused stays paused)
            self._set_loop()
            self._player.seek(self.link.to_player(prepared.resume_ms))
            if prepared.start:
                self._player.resume()
        except Exception as exc:
            self._on_error(describe_error(exc))

    def _start(self) -> None:
        cue, self._cue_ms = self._cue_ms, None
        try:
            self._set_loop()
            if cue is None:
                self._player.play()
            else:
                self._player.play(self.link.to_player(cue))
        except Exception as exc:
            self._on_error(describe_error(exc))
            return
        self.playing, self.paused = True, False
        self._transport.set_playing(True)
        self._transport.show_message("")
        self.status.emit("Playing.")

    def stop(self) -> None:
        self._pending_task = 0
        self._cue_ms = None
        if self._player is not None:
            self._call("stop")
        if self.playing:
            self.status.emit("Stopped.")
        self.playing = self.paused = False
        self._transport.set_playing(False)
        loop = self.loop
        self._transport.set_position(loop[0] if loop else 0.0)
        self._view.highlight_playing_note(None)
        self._editor.set_note_highlight(0, 0)

    def seek(self, score_ms: float) -> None:
        """The slider's seek (score time)."""
        if self._player is not None and self._loaded_text is not None and self.playing:
            self._call("seek", self.link.to_player(score_ms))
        else:
            self._cue_ms = score_ms

    def _call(self, name: str, *args: Any) -> None:
        try:
            getattr(self._player, name)(*args)
        except Exception as exc:
            self._on_error(describe_error(exc))

    def _on_loop(self, loop: bool) -> None:
        if not loop:
            self._loop = None
        self._apply_loop()

    def _on_tempo(self, _value: int) -> None:
        if self._player is not None and self._loaded_text is not None:
            self._call("set_tempo", self._transport.quarter_bpm())
        self._show_duration(keep_position=True)

    def _show_duration(self, keep_position: bool = False) -> None:
        """The tune's length on the slider (score time); the label in real time at the
        transport's tempo."""
        bpm = self._transport.quarter_bpm()
        if self._tune_tempo and bpm:
            self._transport.set_time_scale(self._tune_tempo / bpm)
        self._transport.set_duration(self._tune_ms, keep_position)

    def _on_program(self, program: int) -> None:
        if self._player is not None:
            self._call("set_program", program)

    def _on_rendered(self, result: Any) -> None:
        """Keep the score's timemap; a tune whose own tempo (Q:) changed brings that tempo,
        in Q:'s beat, to the transport."""
        self._score_order = tuple(result.timemap)
        self.timemap = sorted(result.timemap, key=lambda e: e.on_ms)
        self._onsets = [float(e.on_ms) for e in self.timemap]
        tempo = getattr(result, "tempo", None)
        beat = self._beat_of(self._score.rendered_text())
        if tempo and (tempo != self._tune_tempo or beat != self._beat):
            self._tune_tempo, self._beat = float(tempo), beat
            self._transport.set_beat(beat)
            self._transport.set_tempo(round(beat.from_quarters(float(tempo))))
            if self._player is not None and self._loaded_text is not None:
                self._call("set_tempo", self._transport.quarter_bpm())
        if not self.playing:
            self._tune_ms = max((float(e.off_ms) for e in self.timemap), default=0.0)
            self._show_duration()

    @staticmethod
    def _beat_of(text: str) -> TempoBeat:
        try:
            return tempo_beat(text)
        except Exception:  # an unreadable header counts quarters, as the engraver does
            return TempoBeat()

    def score_element_at(self, player_ms: float) -> str | None:
        """The engraved element sounding at a player time, found by time in the score's own
        timemap (element ids differ between engravings) through the time link."""
        ms = self.link.to_score(player_ms)
        index = bisect.bisect_right(self._onsets, ms + 0.5) - 1
        if index < 0:
            return None
        element = self.timemap[index]
        return element.id if ms < float(element.off_ms) + 1.0 else None

    def _on_position(self, position: Any) -> None:
        if not self.playing:
            return
        score_ms = self.link.to_score(float(position.ms))
        if not math.isfinite(score_ms):
            return
        self._transport.set_position(score_ms)
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
        self._shut = True
        self._preload_timer.stop()
        self._preloads.shutdown()
        self._tasks.shutdown()
        self.stop()
        self._close_player()
