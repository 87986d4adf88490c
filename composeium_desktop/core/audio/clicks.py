"""Metronome and count-in clicks for the live player, mixed into its output blocks.

Clicks are not part of the tune (never in the MIDI or WAV export): the player asks a
`ClickTrack` to mix them into the frames it has just rendered. A click that begins near the
end of a block carries its rest over to the next block. The beat is counted as musicians count
it (compound meters in dotted quarters), the first beat of each bar accented.
"""

from __future__ import annotations

import io

import numpy as np

from composeium_desktop.core.audio.midi import MIDIResult

CLICK_MS = 25.0
CLICK_ACCENT_HZ, CLICK_HZ = 1760.0, 1175.0
CLICK_ACCENT_LEVEL, CLICK_LEVEL = 9000, 5000


def click_samples(sample_rate: int, accent: bool) -> np.ndarray:
    """One metronome click, int16 mono: a short decaying sine (higher and louder when accented)."""
    n = int(sample_rate * CLICK_MS / 1000.0)
    t = np.arange(n) / sample_rate
    hz, level = (CLICK_ACCENT_HZ, CLICK_ACCENT_LEVEL) if accent else (CLICK_HZ, CLICK_LEVEL)
    wave = np.sin(2 * np.pi * hz * t) * np.exp(-t / (CLICK_MS / 4000.0))
    return (wave * level).astype(np.int16)


def meter_of(midi: MIDIResult) -> tuple[int, int]:
    """The time signature written in the MIDI file (4/4 when it has none)."""
    import mido

    try:
        for message in mido.MidiFile(file=io.BytesIO(midi.data)).tracks[0]:
            if message.type == "time_signature":
                return int(message.numerator), int(message.denominator)
    except (OSError, ValueError, EOFError, IndexError):
        pass
    return 4, 4


def beat_grid(meter: tuple[int, int], tempo: float) -> tuple[float, int]:
    """(beat length in ms, beats in a bar) at `tempo` quarter notes per minute.

    Compound meters (6/8, 9/8, 12/8) count dotted quarters, as musicians do."""
    count, unit = meter
    quarter_ms = 60000.0 / tempo
    if unit >= 8 and count % 3 == 0 and count > 3:
        return quarter_ms * 4.0 / unit * 3, count // 3
    return quarter_ms * 4.0 / unit, max(1, count)


class ClickTrack:
    """Clicks mixed into int16 stereo blocks; keeps the unfinished tail of the last click."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._clicks = (click_samples(sample_rate, True), click_samples(sample_rate, False))
        self._left: np.ndarray | None = None  # the rest of a click still sounding
        self._left_at = 0  # where it goes in the block being rendered

    def count_in(self, out: np.ndarray, n: int, elapsed: int, beat_ms: float, beats: int) -> None:
        """Clicks on every beat in frames [0, n) of a count-in that began `elapsed` frames ago."""
        beat_frames = max(1, int(round(beat_ms / 1000.0 * self.sample_rate)))
        beat = -(-elapsed // beat_frames)  # the first beat at or after `elapsed`
        while beat * beat_frames < elapsed + n:
            self._start(out, beat * beat_frames - elapsed, n, beat % beats == 0)
            beat += 1

    def beats(
        self,
        out: np.ndarray,
        begin: int,
        end: int,
        start_ms: float,
        ms_per_frame: float,
        grid: tuple[float, int],
    ) -> None:
        """Metronome clicks on the beats that fall in frames [begin, end) of this block, which
        plays the tune from `start_ms`; `grid` is (beat length in ms, beats in a bar)."""
        if end <= begin:
            return
        beat_ms, beats = grid
        stop_ms = start_ms + (end - begin) * ms_per_frame
        beat = int(np.ceil(start_ms / beat_ms - 1e-9))
        while beat * beat_ms < stop_ms:
            offset = begin + int((beat * beat_ms - start_ms) / ms_per_frame)
            if begin <= offset < end:
                self._start(out, offset, end, beat % beats == 0)
            beat += 1

    def tail(self, out: np.ndarray, frames: int) -> None:
        """The rest of a click that began earlier, once the block's music is written."""
        left = self._left
        if left is None:
            return
        room = max(0, frames - self._left_at)
        _add(out, self._left_at, left[:room])
        self._left = left[room:] if room < len(left) else None
        self._left_at = 0

    def _start(self, out: np.ndarray, offset: int, limit: int, accent: bool) -> None:
        """Mix a click from `offset`; what lies past `limit` (not yet rendered) waits."""
        click = self._clicks[0 if accent else 1]
        room = max(0, min(len(click), limit - offset))
        _add(out, offset, click[:room])
        self._left = click[room:] if room < len(click) else None
        self._left_at = limit


def _add(out: np.ndarray, offset: int, click: np.ndarray) -> None:
    if len(click) == 0:
        return
    mixed = out[offset : offset + len(click)].astype(np.int32) + click[:, None]
    out[offset : offset + len(click)] = np.clip(mixed, -32768, 32767).astype(np.int16)
