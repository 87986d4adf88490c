"""MIDI from ABC, read back with mido: repeats and endings played, tempo, key, meter, program."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

from composeium_desktop.core.audio.midi import abc_to_midi, performance_to_midi
from composeium_desktop.core.render import Renderer

DATA = Path(__file__).resolve().parents[2] / "data"
JIG = (DATA / "test_jig.abc").read_text()
# A part: bars 1-3 (15 notes) + ending 1 (2), then bars 1-3 + ending 2 (4); B part twice (10).
JIG_NOTES_PLAYED = 15 + 2 + 15 + 4 + 2 * 10


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def _read(data: bytes) -> mido.MidiFile:
    return mido.MidiFile(file=io.BytesIO(data))


def _note_ons(midi_file: mido.MidiFile) -> list[mido.Message]:
    melody = midi_file.tracks[1]  # the band's tracks (the jig has chord symbols) follow
    return [m for m in melody if m.type == "note_on" and m.velocity > 0]


def test_type_1_file_with_tempo_key_and_time_signature(renderer):
    midi = _read(abc_to_midi(JIG, renderer=renderer).data)
    assert midi.type == 1 and [t.name for t in midi.tracks[1:]] == ["Melody", "Chords", "Bass"]
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert meta["set_tempo"].tempo == 500_000  # Q:1/4=120
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (6, 8)
    assert meta["key_signature"].key == "G"
    assert meta["track_name"].name == "The Test Jig"


def test_repeats_and_endings_are_played(renderer):
    result = abc_to_midi(JIG, renderer=renderer)
    midi = _read(result.data)
    assert len(_note_ons(midi)) == JIG_NOTES_PLAYED == len(result.notes)
    assert midi.length == pytest.approx(14 * 1.5, abs=0.01)


def test_tempo_override_program_and_transposition(renderer):
    plain = abc_to_midi(JIG, renderer=renderer)
    result = abc_to_midi(JIG, tempo=90, program=40, transpose=-3, renderer=renderer)
    midi = _read(result.data)
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert meta["set_tempo"].tempo == round(60_000_000 / 90)
    assert meta["key_signature"].key == "E"
    programs = [m.program for m in midi.tracks[1] if m.type == "program_change"]
    assert programs == [40]
    assert [m.note for m in _note_ons(midi)] == [m.note - 3 for m in _note_ons(_read(plain.data))]
    assert midi.length == pytest.approx(14 * 1.5 * 120 / 90, abs=0.02)
    assert result.duration_ms == pytest.approx(plain.duration_ms * 120 / 90)


def test_quarter_tempo_reads_the_beat_unit_of_q(renderer):
    tune = JIG.replace("Q:1/4=120", "Q:3/8=80")
    assert abc_to_midi(tune, renderer=renderer).tempo == pytest.approx(120.0)


def test_tied_notes_sound_once_and_minor_keys_are_written(renderer):
    tune = "X:1\nT:Ties\nM:4/4\nL:1/8\nK:Em\nE4- E4|B2-B2 B4|]\n"
    result = abc_to_midi(tune, renderer=renderer)
    midi = _read(result.data)
    assert [m.note for m in _note_ons(midi)] == [64, 71, 71]
    assert result.notes[0].off_ms == pytest.approx(2000.0)  # two tied half notes at 120
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert meta["key_signature"].key == "Em"


def test_notes_carry_engraved_ids_that_are_in_the_timemap(renderer):
    result = abc_to_midi(JIG, renderer=renderer)
    timemap_ids = {t.id for t in result.timemap}
    assert {n.element_id for n in result.notes} <= timemap_ids


def test_bad_program_or_tempo_is_refused(renderer):
    performance = renderer.perform(JIG)
    with pytest.raises(ValueError):
        performance_to_midi(performance, program=128)
    with pytest.raises(ValueError):
        performance_to_midi(performance, tempo=5)
