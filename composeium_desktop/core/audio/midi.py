"""MIDI from ABC: the one path that export and playback share.

The engraver worker (core.render) turns the tune into a `Performance`: every note with its
engraved element id, onset and offset in ms, repeats and first/second endings expanded, ties
merged, transposition applied. `performance_to_midi` rescales it to the requested tempo and
General MIDI program and writes a type-1 file (tempo, key and time signatures in track 0, the
melody in track 1). The player uses the same `MIDIResult.notes`, so what is exported is what
is heard, and the element ids let the score follow playback.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from composeium_desktop.core.render import Performance, Renderer, TimedElement, shared_renderer

TICKS_PER_BEAT = 480
VELOCITY = 90
GRACE_VELOCITY = 70
_MAJOR = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR = ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")


@dataclass(frozen=True)
class NoteEvent:
    on_ms: float
    off_ms: float
    pitch: int
    velocity: int
    element_id: str


@dataclass(frozen=True)
class MIDIResult:
    """A type-1 MIDI file plus the notes and timemap it was made from, at `tempo` (quarter bpm)."""

    data: bytes
    notes: tuple[NoteEvent, ...]
    timemap: tuple[TimedElement, ...]
    duration_ms: float
    tempo: float
    program: int


def abc_to_midi(
    abc: str,
    tempo: float | None = None,
    program: int = 0,
    transpose: int = 0,
    renderer: Renderer | None = None,
) -> MIDIResult:
    """MIDI for one tune; `tempo` in quarter notes per minute overrides Q:. Raises RenderError."""
    performance = (renderer or shared_renderer()).perform(abc, transpose=transpose)
    return performance_to_midi(performance, tempo=tempo, program=program)


def performance_to_midi(
    performance: Performance, tempo: float | None = None, program: int = 0
) -> MIDIResult:
    if not 0 <= program <= 127:
        raise ValueError(f"General MIDI program must be 0..127, not {program}")
    bpm = float(tempo) if tempo else performance.bpm
    if not 10.0 <= bpm <= 1000.0:
        raise ValueError(f"tempo must be between 10 and 1000 quarter notes per minute, not {bpm:g}")
    factor = performance.bpm / bpm
    notes = tuple(
        NoteEvent(
            round(on * factor, 3),
            round(max(off, on + 1.0) * factor, 3),
            pitch,
            GRACE_VELOCITY if grace else VELOCITY,
            eid,
        )
        for eid, on, off, pitch, grace in performance.notes
    )
    timemap = tuple(
        TimedElement(t.id, round(t.on_ms * factor, 3), round(t.off_ms * factor, 3))
        for t in performance.timemap
    )
    data = _write_midi(performance, notes, bpm, program)
    return MIDIResult(
        data, notes, timemap, round(performance.duration_ms * factor, 3), bpm, program
    )


def _key_name(sharps: int, mode: str) -> str:
    sharps = max(-7, min(7, sharps))
    if mode == "minor":
        return _MINOR[sharps + 7] + "m"
    return _MAJOR[sharps + 7]


def _write_midi(
    performance: Performance, notes: tuple[NoteEvent, ...], bpm: float, program: int
) -> bytes:
    import mido

    ms_to_ticks = bpm / 60000.0 * TICKS_PER_BEAT
    meta = mido.MidiTrack()
    if performance.title:
        meta.append(mido.MetaMessage("track_name", name=performance.title[:120], time=0))
    if performance.meter:
        count, unit = performance.meter
        if 1 <= count <= 255 and unit in (1, 2, 4, 8, 16, 32, 64):
            meta.append(
                mido.MetaMessage("time_signature", numerator=count, denominator=unit, time=0)
            )
    sharps, mode = performance.key
    meta.append(mido.MetaMessage("key_signature", key=_key_name(int(sharps), str(mode)), time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=int(round(60_000_000 / bpm)), time=0))
    melody = mido.MidiTrack()
    melody.append(mido.MetaMessage("track_name", name="Melody", time=0))
    melody.append(mido.Message("program_change", channel=0, program=program, time=0))
    timed: list[tuple[int, int, mido.Message]] = []
    for note in notes:
        on = int(round(note.on_ms * ms_to_ticks))
        off = max(on + 1, int(round(note.off_ms * ms_to_ticks)))
        timed.append((on, 1, mido.Message("note_on", note=note.pitch, velocity=note.velocity)))
        timed.append((off, 0, mido.Message("note_off", note=note.pitch, velocity=0)))
    timed.sort(key=lambda item: (item[0], item[1]))
    now = 0
    for tick, _, message in timed:
        melody.append(message.copy(time=tick - now))
        now = tick
    end = int(round(performance.duration_ms * performance.bpm / bpm * ms_to_ticks))
    melody.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    midi_file = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi_file.tracks.extend([meta, melody])
    buffer = io.BytesIO()
    midi_file.save(file=buffer)
    return buffer.getvalue()
