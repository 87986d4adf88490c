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

from composeium_desktop.core.audio.lilt import GRACE_VELOCITY, PLAIN_VELOCITY, Lilt, TimeWarp, play
from composeium_desktop.core.render import Performance, Renderer, TimedElement, shared_renderer

__all__ = [
    "GRACE_VELOCITY",
    "VELOCITY",
    "BandNote",
    "BandOptions",
    "Lilt",
    "MIDIResult",
    "NoteEvent",
    "abc_to_midi",
    "performance_to_midi",
]

TICKS_PER_BEAT = 480
VELOCITY = PLAIN_VELOCITY
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
class BandNote:
    """A note of the backing band (core.harmony.backing) on its MIDI channel."""

    on_ms: float
    off_ms: float
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True)
class MIDIResult:
    """A type-1 MIDI file plus the notes and timemap it was made from, at `tempo` (quarter bpm).

    `band` holds the chords' and bass's notes (channels 1 and 2, tracks "Chords" and "Bass"),
    `programs` the General MIDI program and `volumes` the volume (0-127) of every channel;
    `swing_ratio` is the long:short ratio the lilt swung the beats at (1.0: straight)."""

    data: bytes
    notes: tuple[NoteEvent, ...]
    timemap: tuple[TimedElement, ...]
    duration_ms: float
    tempo: float
    program: int
    band: tuple[BandNote, ...] = ()
    programs: tuple[tuple[int, int], ...] = ()
    volumes: tuple[tuple[int, int], ...] = ()
    swing_ratio: float = 1.0


@dataclass(frozen=True)
class BandOptions:
    """The backing band: whether it plays, its programs (the tune's %%MIDI chordprog /
    bassprog win) and the volumes of melody, chords and bass (0-127)."""

    enabled: bool = True
    chord_program: int = 24
    bass_program: int = 32
    melody_volume: int = 110
    chord_volume: int = 70
    bass_volume: int = 95


def abc_to_midi(
    abc: str,
    tempo: float | None = None,
    program: int = 0,
    transpose: int = 0,
    renderer: Renderer | None = None,
    band: BandOptions | None = None,
    lilt: Lilt | None = None,
) -> MIDIResult:
    """MIDI for one tune; `tempo` in quarter notes per minute overrides Q:. Raises RenderError.

    The tune's chord symbols are played by a band (`band`; None: the defaults, chords on), and
    the tune with its lilt (`lilt`; None: the genre's swing, accents and rolls, core.audio.lilt).
    """
    performance = (renderer or shared_renderer()).perform(abc, transpose=transpose)
    return performance_to_midi(
        performance,
        tempo=tempo,
        program=program,
        abc=abc,
        transpose=transpose,
        band=band,
        lilt=lilt,
    )


def performance_to_midi(
    performance: Performance,
    tempo: float | None = None,
    program: int = 0,
    abc: str = "",
    transpose: int = 0,
    band: BandOptions | None = None,
    lilt: Lilt | None = None,
) -> MIDIResult:
    """The MIDI of a performance; with the tune's text `abc` its chord symbols are played
    by the band (`band`, see BandOptions) and its lilt read from it (`lilt`, see Lilt)."""
    if not 0 <= program <= 127:
        raise ValueError(f"General MIDI program must be 0..127, not {program}")
    bpm = float(tempo) if tempo else performance.bpm
    if not 10.0 <= bpm <= 1000.0:
        raise ValueError(f"tempo must be between 10 and 1000 quarter notes per minute, not {bpm:g}")
    factor = performance.bpm / bpm
    played = play(performance, abc, lilt)
    notes = tuple(
        NoteEvent(
            round(on * factor, 3),
            round(max(off, on + 1.0) * factor, 3),
            pitch,
            velocity,
            eid,
        )
        for eid, on, off, pitch, velocity in sorted(played.notes, key=lambda n: (n[1], n[3]))
    )
    timemap = tuple(
        TimedElement(t.id, round(t.on_ms * factor, 3), round(t.off_ms * factor, 3))
        for t in played.timemap
    )
    options = band or BandOptions()
    band_notes, programs = _band(performance, abc, transpose, options, factor, program, played.warp)
    volumes = ((0, options.melody_volume), (1, options.chord_volume), (2, options.bass_volume))
    data = _write_midi(performance, notes, bpm, program)
    if band_notes:
        data = _add_band_tracks(data, band_notes, programs, volumes, bpm)
    return MIDIResult(
        data,
        notes,
        timemap,
        round(performance.duration_ms * factor, 3),
        bpm,
        program,
        band_notes,
        programs,
        volumes if band_notes else (),
        played.swing_ratio,
    )


def _band(
    performance: Performance,
    abc: str,
    transpose: int,
    options: BandOptions,
    factor: float,
    program: int,
    warp: TimeWarp,
) -> tuple[tuple[BandNote, ...], tuple[tuple[int, int], ...]]:
    if not abc or not options.enabled or '"' not in abc:
        return (), ((0, program),)
    from composeium_desktop.core.harmony.backing import (
        BASS_CHANNEL,
        CHORD_CHANNEL,
        BackingSettings,
        backing_notes,
    )

    defaults = BackingSettings(True, None, options.chord_program, options.bass_program)
    notes, used = backing_notes(abc, performance, transpose, defaults)
    channel = {"bass": BASS_CHANNEL, "chords": CHORD_CHANNEL}
    band = tuple(
        BandNote(
            round(warp(n.on_ms) * factor, 3),
            round(warp(n.off_ms) * factor, 3),
            n.pitch,
            n.velocity,
            channel[n.part],
        )
        for n in notes
    )
    programs = (
        (0, program),
        (CHORD_CHANNEL, used.chord_program),
        (BASS_CHANNEL, used.bass_program),
    )
    return band, programs


def _add_band_tracks(
    data: bytes,
    band: tuple[BandNote, ...],
    programs: tuple[tuple[int, int], ...],
    volumes: tuple[tuple[int, int], ...],
    bpm: float,
) -> bytes:
    """The MIDI file with a "Chords" and a "Bass" track (own channels, programs, volumes)."""
    import mido

    midi_file = mido.MidiFile(file=io.BytesIO(data))
    ms_to_ticks = bpm / 60000.0 * TICKS_PER_BEAT
    program_of, volume_of = dict(programs), dict(volumes)
    melody = midi_file.tracks[1]
    melody.insert(2, mido.Message("control_change", channel=0, control=7, value=volume_of[0]))
    for name, channel in (("Chords", 1), ("Bass", 2)):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        track.append(mido.Message("program_change", channel=channel, program=program_of[channel]))
        track.append(
            mido.Message("control_change", channel=channel, control=7, value=volume_of[channel])
        )
        timed: list[tuple[int, int, mido.Message]] = []
        for note in band:
            if note.channel != channel:
                continue
            on = int(round(note.on_ms * ms_to_ticks))
            off = max(on + 1, int(round(note.off_ms * ms_to_ticks)))
            timed.append(
                (
                    on,
                    1,
                    mido.Message(
                        "note_on", channel=channel, note=note.pitch, velocity=note.velocity
                    ),
                )
            )
            timed.append((off, 0, mido.Message("note_off", channel=channel, note=note.pitch)))
        timed.sort(key=lambda item: (item[0], item[1]))
        now = 0
        for tick, _, message in timed:
            track.append(message.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi_file.tracks.append(track)
    buffer = io.BytesIO()
    midi_file.save(file=buffer)
    return buffer.getvalue()


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
