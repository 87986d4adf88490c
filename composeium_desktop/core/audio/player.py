"""Live playback: FluidSynth rendered inside the audio callback of a sounddevice stream.

No Qt. The player owns one output stream and one Synth; the stream's callback (the audio
thread) renders exactly the frames asked for, applying note events at the right frame, so
tempo and instrument changes take effect within one block (about 6 ms). Positions are
reported to listeners from the audio thread, throttled; a GUI adapter turns them into
signals. Times are in the loaded MIDIResult's time base (its `timemap` uses the same ms),
whatever the current playback tempo.

Streams come from a factory `(sample_rate, blocksize, fill) -> stream` (core.audio.output);
the default opens a sounddevice.OutputStream and raises AudioDeviceError when PortAudio has no
output device. Tests inject a `SimulatedOutputStream`.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from composeium_desktop.core.audio.midi import MIDIResult
from composeium_desktop.core.audio.output import (
    AudioDeviceError,
    FillCallback,
    OutputStream,
    SimulatedOutputStream,
    StreamFactory,
    output_device_problem,
    sounddevice_stream,
)
from composeium_desktop.core.audio.soundfont import find_soundfont
from composeium_desktop.core.audio.synth import SAMPLE_RATE, Synth, note_schedule

__all__ = [
    "AudioDeviceError",
    "PlaybackPosition",
    "Player",
    "SimulatedOutputStream",
    "benchmark_first_sound",
    "output_device_problem",
    "sounddevice_stream",
]

BLOCKSIZE = 256
POSITION_INTERVAL_MS = 25.0
SOUND_THRESHOLD = 64  # above FluidSynth's dither


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
        self._schedule: list[tuple[float, int, int, int]] = []
        self._times: list[float] = []
        self._tm_on: list[float] = []
        self._sounding: set[int] = set()
        self._index = 0
        self._pos_ms = 0.0
        self._rate = 1.0
        self._playing = False
        self._loop: tuple[float, float] | None = None
        self._last_report = -1e9
        self.program = 0

    # -- loading and listeners -------------------------------------------------------------
    def load(self, midi: MIDIResult) -> None:
        """Use this tune from now on (playback stops; the position returns to the start)."""
        with self._lock:
            self._silence()
            self._playing = False
            self._midi = midi
            self._schedule = note_schedule(midi.notes)
            self._times = [event[0] for event in self._schedule]
            self._tm_on = [t.on_ms for t in midi.timemap]
            self._rate = 1.0
            self._loop = None
            self.program = midi.program
            if self._synth is not None:
                self._synth.set_program(midi.program)
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
        times = [t.on_ms for t in self._midi.timemap if t.id == element_id]
        if not times:
            raise KeyError(f"no element {element_id!r} in the timemap")
        later = [t for t in times if t >= self._pos_ms]
        self.seek(later[0] if later else times[0])

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
            self._rate = bpm / self._midi.tempo

    def set_program(self, program: int) -> None:
        if not 0 <= program <= 127:
            raise ValueError(f"General MIDI program must be 0..127, not {program}")
        with self._lock:
            self.program = program
            if self._synth is not None:
                self._synth.all_notes_off()
                self._synth.set_program(program)
                # Notes already sounding restart with the new instrument.
                for pitch in self._sounding:
                    self._synth.note_on(pitch, 80)

    def position(self) -> PlaybackPosition:
        with self._lock:
            return PlaybackPosition(self._pos_ms, self._current_ids(), self._playing)

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def tempo(self) -> float:
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

    # -- internals -----------------------------------------------------------------------------
    def _ensure_stream(self) -> None:
        with self._lock:
            if self._synth is None:
                self._synth = Synth(find_soundfont(self._soundfont), self.sample_rate)
                self._synth.set_program(self.program)
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

    def _silence(self) -> None:
        if self._synth is not None:
            self._synth.all_notes_off()
        self._sounding.clear()

    def _seek_locked(self, ms: float) -> None:
        self._silence()
        self._pos_ms = max(0.0, min(float(ms), self._duration()))
        self._index = bisect.bisect_left(self._times, self._pos_ms)
        if self._synth is not None and self._midi is not None:
            for note in self._midi.notes:
                if note.on_ms < self._pos_ms < note.off_ms:
                    self._synth.note_on(note.pitch, note.velocity)
                    self._sounding.add(note.pitch)

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
            ms_per_frame = 1000.0 / self.sample_rate * self._rate
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
                        self._seek_locked(self._loop[0])
                    else:
                        self._apply_due_events(synth)
                        self._playing = False
                        self._pos_ms = self._duration()
                        finished = True
                        if done < frames:
                            out[done:frames] = synth.samples(frames - done)
                        break
        self._report(force=finished)
        if finished:
            for listener in list(self._finished_listeners):
                listener()

    def _apply_due_events(self, synth: Synth) -> None:
        schedule = self._schedule
        while self._index < len(schedule) and schedule[self._index][0] <= self._pos_ms:
            _, is_on, pitch, velocity = schedule[self._index]
            if is_on:
                synth.note_on(pitch, velocity)
                self._sounding.add(pitch)
            else:
                synth.note_off(pitch)
                self._sounding.discard(pitch)
            self._index += 1

    def _current_ids(self) -> tuple[str, ...]:
        if self._midi is None:
            return ()
        end = bisect.bisect_right(self._tm_on, self._pos_ms)
        timemap = self._midi.timemap
        return tuple(
            t.id for t in timemap[max(0, end - 16) : end] if t.on_ms <= self._pos_ms < t.off_ms
        )

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


def benchmark_first_sound(midi: MIDIResult, soundfont: str | os.PathLike | None = None) -> float:
    """Milliseconds from play() to the first non-silent block of a real-time simulated output."""
    streams: list[SimulatedOutputStream] = []

    def factory(rate: int, block: int, fill: FillCallback) -> OutputStream:
        streams.append(SimulatedOutputStream(rate, block, fill))
        return streams[-1]

    with Player(soundfont, stream_factory=factory) as player:
        player.load(midi)
        player.prepare()  # warm: the stream is open, as after the first play
        time.sleep(0.05)
        stream = streams[0]
        start_block = len(stream.blocks)
        t0 = time.perf_counter()
        player.play()
        deadline = t0 + 2.0
        while time.perf_counter() < deadline:
            for block, when in zip(
                stream.blocks[start_block:], stream.block_times[start_block:], strict=False
            ):
                if np.abs(block).max() > SOUND_THRESHOLD:
                    # The block is heard one block after it is handed to the device.
                    return (when - t0) * 1000.0 + stream.blocksize / stream.sample_rate * 1000.0
            time.sleep(0.001)
    return float("nan")
