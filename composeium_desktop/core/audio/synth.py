"""Offline FluidSynth rendering: notes -> 16-bit stereo samples, far faster than real time."""

from __future__ import annotations

import os
import threading
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from composeium_desktop.core.audio.midi import MIDIResult, NoteEvent

SAMPLE_RATE = 44100
GAIN = 1.0
TAIL_MS = 800.0


class SynthError(Exception):
    """FluidSynth is missing or could not load the SoundFont."""


class Synth:
    """One FluidSynth instance with a SoundFont loaded; channel 0 plays the melody.

    Not thread-safe by itself: the player serialises access with its own lock.
    """

    _sf_cache_lock = threading.Lock()

    def __init__(self, soundfont: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> None:
        try:
            import fluidsynth
        except (ImportError, OSError) as exc:
            raise SynthError(f"FluidSynth is not available ({exc})") from None
        self.sample_rate = int(sample_rate)
        self.soundfont = Path(soundfont)
        self._fs = fluidsynth.Synth(gain=GAIN, samplerate=float(self.sample_rate))
        self._sfid = self._fs.sfload(str(self.soundfont))
        if self._sfid < 0:
            self._fs.delete()
            raise SynthError(f"FluidSynth could not load the SoundFont {self.soundfont}")
        self.program = 0
        self.set_program(0)

    def set_program(self, program: int) -> None:
        if not 0 <= program <= 127:
            raise ValueError(f"General MIDI program must be 0..127, not {program}")
        self.program = program
        self._fs.program_select(0, self._sfid, 0, program)

    def note_on(self, pitch: int, velocity: int) -> None:
        self._fs.noteon(0, pitch, velocity)

    def note_off(self, pitch: int) -> None:
        self._fs.noteoff(0, pitch)

    def set_channel(self, channel: int, program: int, volume: int | None = None) -> None:
        """General MIDI `program` (and volume 0-127) on `channel` (the band's channels)."""
        self._fs.program_select(channel, self._sfid, 0, program)
        if volume is not None:
            self._fs.cc(channel, 7, volume)

    def channel_note(self, channel: int, pitch: int, velocity: int) -> None:
        """Note on (velocity > 0) or off (0) on `channel`."""
        if velocity:
            self._fs.noteon(channel, pitch, velocity)
        else:
            self._fs.noteoff(channel, pitch)

    def all_notes_off(self, channels: int = 1) -> None:
        """Silence channels 0..channels-1 (all notes off, all sound off)."""
        for channel in range(max(1, channels)):
            self._fs.cc(channel, 123, 0)
            self._fs.cc(channel, 120, 0)

    def samples(self, frames: int) -> np.ndarray:
        """The next `frames` frames as int16 of shape (frames, 2)."""
        if frames <= 0:
            return np.zeros((0, 2), dtype=np.int16)
        data = self._fs.get_samples(frames)
        return np.asarray(data, dtype=np.int16).reshape(-1, 2)

    def close(self) -> None:
        if self._fs is not None:
            self._fs.delete()
            self._fs = None


def note_schedule(notes: Iterable[NoteEvent]) -> list[tuple[float, int, int, int]]:
    """(time_ms, order, pitch, velocity) sorted; note-offs (order 0) before note-ons at a time."""
    schedule = []
    for note in notes:
        schedule.append((note.on_ms, 1, note.pitch, note.velocity))
        schedule.append((note.off_ms, 0, note.pitch, 0))
    schedule.sort()
    return schedule


def band_schedule(midi: MIDIResult) -> list[tuple[float, int, int, int, int]]:
    """(time_ms, order, channel, pitch, velocity) of the melody (channel 0) and the band's
    notes, sorted; note-offs (order 0) before note-ons at a time."""
    schedule = [(t, order, 0, pitch, vel) for t, order, pitch, vel in note_schedule(midi.notes)]
    for note in midi.band:
        schedule.append((note.on_ms, 1, note.channel, note.pitch, note.velocity))
        schedule.append((note.off_ms, 0, note.channel, note.pitch, 0))
    schedule.sort()
    return schedule


def render_audio(
    midi: MIDIResult,
    soundfont: str | os.PathLike,
    sample_rate: int = SAMPLE_RATE,
    tail_ms: float = TAIL_MS,
) -> np.ndarray:
    """The whole tune as int16 stereo samples, shape (frames, 2), with a short release tail."""
    synth = Synth(soundfont, sample_rate)
    try:
        synth.set_program(midi.program)
        volumes = dict(midi.volumes)
        for channel, program in midi.programs:
            synth.set_channel(channel, program, volumes.get(channel))
        chunks = []
        frame = 0
        for time_ms, order, channel, pitch, velocity in band_schedule(midi):
            target = int(round(time_ms * sample_rate / 1000.0))
            if target > frame:
                chunks.append(synth.samples(target - frame))
                frame = target
            synth.channel_note(channel, pitch, velocity if order else 0)
        end = int(
            round(
                (max(midi.duration_ms, frame * 1000.0 / sample_rate) + tail_ms)
                * sample_rate
                / 1000.0
            )
        )
        chunks.append(synth.samples(end - frame))
        return np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int16)
    finally:
        synth.close()


def write_wav(
    file: str | os.PathLike | IO[bytes], samples: np.ndarray, sample_rate: int = SAMPLE_RATE
) -> None:
    """Write int16 stereo samples as a 16-bit PCM WAV file (path or binary file object)."""
    target: str | IO[bytes] = str(file) if isinstance(file, os.PathLike) else file
    with wave.open(target, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
