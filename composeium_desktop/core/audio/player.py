"""Live playback: FluidSynth rendered inside the audio callback of a sounddevice stream.

No Qt. The player owns one output stream and one Synth; the stream's callback (the audio
thread) renders exactly the frames asked for, applying note events at the right frame, so
tempo and instrument changes take effect within one block (about 6 ms). Positions are
reported to listeners from the audio thread, throttled; a GUI adapter turns them into
signals. Times are in the loaded MIDIResult's time base (its `timemap` uses the same ms),
whatever the current playback tempo.

Practice tools live here too, so the GUI and `composeium play` share them: a metronome
(accented first beat) and a one-bar count-in, both clicks mixed into the output (not part of
the tune, so never in the WAV export); a loop between two times or two engraved elements; a
tempo ramp that starts at a fraction of the tempo and raises it each time round the loop; and
mute melody, which plays only the backing band. The band's channels are played like the melody.

Streams come from a factory `(sample_rate, blocksize, fill) -> stream` (core.audio.output);
the default opens a sounddevice.OutputStream and raises AudioDeviceError when PortAudio has no
output device. Tests inject a `SimulatedOutputStream`. Clicks come from core.audio.clicks.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from composeium_desktop.core.audio.clicks import ClickTrack, beat_grid, meter_of
from composeium_desktop.core.audio.midi import BandNote, MIDIResult, NoteEvent
from composeium_desktop.core.audio.output import (
    AudioDeviceError,
    OutputStream,
    SimulatedOutputStream,
    StreamFactory,
    output_device_problem,
    sounddevice_stream,
)
from composeium_desktop.core.audio.soundfont import find_soundfont
from composeium_desktop.core.audio.synth import SAMPLE_RATE, Synth, band_schedule
from composeium_desktop.core.audio.timemap import ElementTimes

__all__ = [
    "AudioDeviceError",
    "PlaybackPosition",
    "Player",
    "SimulatedOutputStream",
    "output_device_problem",
    "sounddevice_stream",
]

BLOCKSIZE = 256
POSITION_INTERVAL_MS = 25.0
CHANNELS = 16


@dataclass(frozen=True)
class PlaybackPosition:
    """Where playback is: `ms` in the tune's time base, the elements sounding, and whether it plays."""

    ms: float
    element_ids: tuple[str, ...]
    playing: bool


class Player:
    """Play a MIDIResult: play/pause/resume/stop, seek, loop, live tempo and program changes."""

    def __init__(
        self,
        soundfont: str | os.PathLike | None = None,
        sample_rate: int = SAMPLE_RATE,
        blocksize: int = BLOCKSIZE,
        stream_factory: StreamFactory | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.blocksize = blocksize
        self._soundfont = soundfont
        self._factory = stream_factory or sounddevice_stream
        self._lock = threading.RLock()
        self._synth: Synth | None = None
        self._stream: OutputStream | None = None
        self._listeners: list[Callable[[PlaybackPosition], None]] = []
        self._finished_listeners: list[Callable[[], None]] = []
        self._error_listeners: list[Callable[[Exception], None]] = []
        self._midi: MIDIResult | None = None
        self._schedule: list[tuple[float, int, int, int, int]] = []
        self._times: list[float] = []
        self._elements = ElementTimes()
        self._sounding: set[tuple[int, int]] = set()
        self._index = 0
        self._pos_ms = 0.0
        self._rate = 1.0
        self._playing = False
        self._loop: tuple[float, float] | None = None
        self._last_report = -1e9
        self.program = 0
        # Practice tools (see the module docstring).
        self.metronome = False
        self.count_in_bars = 0
        self.mute_melody = False
        self._ramp: tuple[float, float] | None = None  # (start fraction, step per pass)
        self._base_rate = 1.0
        self._meter = (4, 4)
        self._preroll_frames = 0  # count-in still to play, in frames
        self._preroll_total = 0
        self._clicks = ClickTrack(sample_rate)
        self.passes = 0  # times round the loop since play()

    # -- loading and listeners -------------------------------------------------------------
    def load(self, midi: MIDIResult) -> None:
        """Use this tune from now on (playback stops; the position returns to the start)."""
        with self._lock:
            self._silence()
            self._playing = False
            self._midi = midi
            self._schedule = band_schedule(midi)
            self._times = [event[0] for event in self._schedule]
            self._elements = ElementTimes(midi.timemap)
            self._rate = self._base_rate = 1.0
            self._loop = None
            self._meter = meter_of(midi)
            self.program = midi.program
            if self._synth is not None:
                self._set_channels(self._synth)
            self._seek_locked(0.0)

    def add_position_listener(self, listener: Callable[[PlaybackPosition], None]) -> None:
        """Called from the audio thread about every 25 ms while playing, and on changes."""
        self._listeners.append(listener)

    def add_finished_listener(self, listener: Callable[[], None]) -> None:
        """Called from the audio thread when the tune ends (not when looping)."""
        self._finished_listeners.append(listener)

    def add_error_listener(self, listener: Callable[[Exception], None]) -> None:
        """Called from the audio thread if rendering a block fails; playback then stops."""
        self._error_listeners.append(listener)

    # -- transport ---------------------------------------------------------------------------
    def play(self, from_ms: float | None = None) -> None:
        """Start (or restart from `from_ms`). Raises AudioDeviceError without an output device."""
        if self._midi is None:
            raise RuntimeError("load a tune before playing")
        self._ensure_stream()
        with self._lock:
            if from_ms is not None:
                self._seek_locked(from_ms)
            elif self._pos_ms >= self._end_ms():
                self._seek_locked(self._loop[0] if self._loop else 0.0)
            self.passes = 0
            if self._ramp is not None:
                self._rate = self._base_rate * self._ramp[0]
            beat_ms, beats = self._beats()
            bar_frames = int(round(beats * beat_ms / 1000.0 * self.sample_rate))
            self._preroll_frames = self._preroll_total = bar_frames * self.count_in_bars
            self._playing = True
        self._report(force=True)

    def pause(self) -> None:
        with self._lock:
            self._playing = False
            self._silence()
        self._report(force=True)

    def resume(self) -> None:
        if self._midi is None:
            return
        self._ensure_stream()
        with self._lock:
            self._seek_locked(self._pos_ms)
            self._playing = True
        self._report(force=True)

    def stop(self) -> None:
        """Stop and return to the start; the output stream stays open for a quick restart."""
        with self._lock:
            self._playing = False
            self._silence()
            self._seek_locked(self._loop[0] if self._loop else 0.0)
        self._report(force=True)

    def seek(self, ms: float) -> None:
        with self._lock:
            self._seek_locked(ms)
        self._report(force=True)

    def seek_to_element(self, element_id: str) -> None:
        """Jump to the first time the engraved element sounds (at or after the current position if it repeats)."""
        if self._midi is None:
            return
        self.seek(self._elements.onset(element_id, self._pos_ms))

    def set_loop(self, start_ms: float | None = 0.0, end_ms: float | None = None) -> None:
        """Loop between start_ms and end_ms (default: the whole tune); `set_loop(None)` ends looping."""
        with self._lock:
            if start_ms is None:
                self._loop = None
                return
            end = self._duration() if end_ms is None else min(end_ms, self._duration())
            if end <= start_ms:
                raise ValueError("the loop must end after it starts")
            self._loop = (max(0.0, start_ms), end)

    def set_tempo(self, bpm: float) -> None:
        """Playback tempo in quarter notes per minute; takes effect within one audio block."""
        if self._midi is None:
            return
        if not 10.0 <= bpm <= 1000.0:
            raise ValueError("tempo must be between 10 and 1000 quarter notes per minute")
        with self._lock:
            self._base_rate = bpm / self._midi.tempo
            fraction = self._rate_fraction()
            self._rate = self._base_rate * fraction

    def set_ramp(self, start: float | None, step: float = 0.1) -> None:
        """Tempo ramp: play at `start` (a fraction, e.g. 0.6) of the tempo, `step` faster each
        time round the loop, until full speed; `set_ramp(None)` plays at full speed."""
        with self._lock:
            if start is None:
                self._ramp = None
                self._rate = self._base_rate
                return
            if not 0.1 <= start <= 1.0 or not 0.0 < step <= 1.0:
                raise ValueError("the ramp starts at 10-100% of the tempo and rises by 1-100%")
            self._ramp = (start, step)
            self._rate = self._base_rate * start

    def set_mute_melody(self, mute: bool) -> None:
        """Play only the backing band (the melody's channel 0 stays silent)."""
        with self._lock:
            self.mute_melody = mute
            if mute and self._synth is not None:
                for channel, pitch in list(self._sounding):
                    if channel == 0:
                        self._synth.channel_note(0, pitch, 0)
                        self._sounding.discard((channel, pitch))

    def set_metronome(self, on: bool) -> None:
        """A click on every beat, the first beat of each bar accented."""
        with self._lock:
            self.metronome = on

    def set_count_in(self, bars: int) -> None:
        """Bars of clicks before the music starts on play() (0: none)."""
        if not 0 <= bars <= 4:
            raise ValueError("count-in is 0 to 4 bars")
        with self._lock:
            self.count_in_bars = bars

    def loop_elements(self, first_id: str, last_id: str) -> tuple[float, float]:
        """Loop from the first onset of `first_id` to the end of `last_id`'s next sounding after
        it (a selection in the editor or the score); returns the loop's (start, end) in ms."""
        if self._midi is None:
            raise RuntimeError("load a tune before looping")
        start, end = self._elements.span(first_id, last_id)
        self.set_loop(start, end)
        return start, end

    @property
    def loop(self) -> tuple[float, float] | None:
        return self._loop

    @property
    def counting_in(self) -> bool:
        return self._preroll_frames > 0

    def set_program(self, program: int) -> None:
        if not 0 <= program <= 127:
            raise ValueError(f"General MIDI program must be 0..127, not {program}")
        with self._lock:
            self.program = program
            if self._synth is not None:
                self._synth.all_notes_off()
                self._synth.set_program(program)
                # Notes already sounding restart with the new instrument.
                for channel, pitch in self._sounding:
                    if channel == 0:
                        self._synth.note_on(pitch, 80)

    def position(self) -> PlaybackPosition:
        with self._lock:
            return PlaybackPosition(self._pos_ms, self._current_ids(), self._playing)

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def tempo(self) -> float:
        """The tempo heard now (quarter notes per minute), ramp included."""
        return self._midi.tempo * self._rate if self._midi else 0.0

    def close(self) -> None:
        """Stop playback and release the output device and the synthesizer."""
        with self._lock:
            self._playing = False
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        with self._lock:
            if self._synth is not None:
                self._synth.close()
                self._synth = None

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self) -> None:
        """Load the SoundFont and open the output now, so that play() sounds at once.

        Raises AudioDeviceError without an output device, SoundFontError without a SoundFont.
        """
        self._ensure_stream()

    def load_soundfont(self) -> None:
        """Load the SoundFont now (seconds for a large one) and leave the output closed."""
        with self._lock:
            if self._synth is None:
                self._synth = Synth(find_soundfont(self._soundfont), self.sample_rate)
                self._set_channels(self._synth)

    # -- internals -----------------------------------------------------------------------------
    def _ensure_stream(self) -> None:
        self.load_soundfont()
        with self._lock:
            if self._stream is not None:
                return
        stream = self._factory(self.sample_rate, self.blocksize, self._fill)
        with self._lock:
            self._stream = stream
        stream.start()

    def _duration(self) -> float:
        return self._midi.duration_ms if self._midi else 0.0

    def _end_ms(self) -> float:
        return self._loop[1] if self._loop else self._duration()

    def _set_channels(self, synth: Synth) -> None:
        synth.set_program(self.program)
        if self._midi is not None:
            volumes = dict(self._midi.volumes)
            for channel, program in self._midi.programs:
                if channel != 0:
                    synth.set_channel(channel, program, volumes.get(channel))
            if 0 in volumes:
                synth.set_channel(0, self.program, volumes[0])

    def _rate_fraction(self) -> float:
        if self._ramp is None or self._base_rate <= 0:
            return 1.0
        return min(1.0, self._ramp[0] + self._ramp[1] * self.passes)

    def _beats(self) -> tuple[float, int]:
        return beat_grid(self._meter, self._midi.tempo if self._midi else 120.0)

    def _silence(self) -> None:
        if self._synth is not None:
            self._synth.all_notes_off(CHANNELS)
        self._sounding.clear()

    def _seek_locked(self, ms: float) -> None:
        self._silence()
        self._pos_ms = max(0.0, min(float(ms), self._duration()))
        self._index = bisect.bisect_left(self._times, self._pos_ms)
        if self._synth is not None and self._midi is not None:
            notes: list[tuple[int, NoteEvent | BandNote]] = [
                (0, n) for n in self._midi.notes if not self.mute_melody
            ]
            notes += [(b.channel, b) for b in self._midi.band]
            for channel, note in notes:
                if note.on_ms < self._pos_ms < note.off_ms:
                    self._synth.channel_note(channel, note.pitch, note.velocity)
                    self._sounding.add((channel, note.pitch))

    def _fill(self, out: np.ndarray, frames: int) -> None:
        """The audio callback: write `frames` frames into `out` (int16, (frames, 2)).

        It never raises: an exception would stop the device stream silently. A failure
        silences the output, stops playback and goes to the error listeners.
        """
        try:
            self._render_block(out, frames)
        except Exception as exc:  # noqa: BLE001 - reported to listeners, never swallowed
            out[:] = 0
            with self._lock:
                self._playing = False
            for listener in list(self._error_listeners):
                listener(exc)

    def _render_block(self, out: np.ndarray, frames: int) -> None:
        finished = False
        with self._lock:
            synth = self._synth
            if synth is None:
                out[:] = 0
                return
            if not self._playing:
                out[:frames] = synth.samples(frames)  # release tails of stopped notes
                return
            done = 0
            if self._preroll_frames > 0:
                done = self._count_in(out, frames, synth)
            ms_per_frame = 1000.0 / self.sample_rate * self._rate
            start_ms = self._pos_ms
            start_done = done
            while done < frames:
                self._apply_due_events(synth)
                end = self._end_ms()
                next_ms = self._times[self._index] if self._index < len(self._times) else end
                next_ms = min(next_ms, end)
                span = max(1, int(np.ceil((next_ms - self._pos_ms) / ms_per_frame)))
                n = min(frames - done, span)
                out[done : done + n] = synth.samples(n)
                done += n
                self._pos_ms += n * ms_per_frame
                if self._pos_ms >= end:
                    if self._loop is not None:
                        if self.metronome:
                            self._mix_clicks(out, start_done, done, start_ms, ms_per_frame)
                        self._seek_locked(self._loop[0])
                        self.passes += 1
                        self._rate = self._base_rate * self._rate_fraction()
                        ms_per_frame = 1000.0 / self.sample_rate * self._rate
                        start_ms, start_done = self._pos_ms, done
                    else:
                        self._apply_due_events(synth)
                        self._playing = False
                        self._pos_ms = self._duration()
                        finished = True
                        if done < frames:
                            out[done:frames] = synth.samples(frames - done)
                        break
            if self.metronome:
                self._mix_clicks(out, start_done, done, start_ms, ms_per_frame)
            self._clicks.tail(out, frames)
        self._report(force=finished)
        if finished:
            for listener in list(self._finished_listeners):
                listener()

    def _count_in(self, out: np.ndarray, frames: int, synth: Synth) -> int:
        """Render up to `frames` frames of the count-in (clicks on every beat); frames done."""
        n = min(frames, self._preroll_frames)
        out[:n] = synth.samples(n)
        beat_ms, beats = self._beats()
        elapsed = self._preroll_total - self._preroll_frames
        self._clicks.count_in(out, n, elapsed, beat_ms, beats)
        self._preroll_frames -= n
        return n

    def _mix_clicks(
        self, out: np.ndarray, begin: int, end: int, start_ms: float, ms_per_frame: float
    ) -> None:
        """Metronome clicks on the beats that fall in frames [begin, end) of this block."""
        self._clicks.beats(out, begin, end, start_ms, ms_per_frame, self._beats())

    def _apply_due_events(self, synth: Synth) -> None:
        schedule = self._schedule
        while self._index < len(schedule) and schedule[self._index][0] <= self._pos_ms:
            _, is_on, channel, pitch, velocity = schedule[self._index]
            self._index += 1
            if is_on:
                if channel == 0 and self.mute_melody:
                    continue
                synth.channel_note(channel, pitch, velocity)
                self._sounding.add((channel, pitch))
            else:
                synth.channel_note(channel, pitch, 0)
                self._sounding.discard((channel, pitch))

    def _current_ids(self) -> tuple[str, ...]:
        return self._elements.sounding(self._pos_ms)

    def _report(self, force: bool = False) -> None:
        if not self._listeners:
            return
        with self._lock:
            if (
                not force
                and abs(self._pos_ms - self._last_report) < POSITION_INTERVAL_MS * self._rate
            ):
                return
            self._last_report = self._pos_ms
            position = PlaybackPosition(self._pos_ms, self._current_ids(), self._playing)
        for listener in list(self._listeners):
            listener(position)
