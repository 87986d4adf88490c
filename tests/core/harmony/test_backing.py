"""The band behind the melody: MIDI tracks read back with mido, the bass heard in the WAV."""

from __future__ import annotations

import io

import mido
import numpy as np
import pytest

from composeium_desktop.core.audio.midi import BandOptions, abc_to_midi
from composeium_desktop.core.audio.soundfont import bundled_soundfont
from composeium_desktop.core.audio.synth import render_audio
from composeium_desktop.core.harmony.backing import midi_directives
from composeium_desktop.core.render import Renderer

# A high held melody (E6) over G and C bars, with a repeat: the band plays what is below.
TUNE = (
    "X:1\nT:Band\nM:4/4\nL:1/8\nQ:1/4=120\nK:G\n"
    "|:\"G\"e'4 e'4|\"C\"e'4 e'4|\"G\"e'4 e'4|\"C\"e'4 e'4:|\n"
)
BAR_MS = 2000.0  # 4/4 at 120 quarter notes a minute


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def _tracks(data: bytes) -> dict[str, list[mido.Message]]:
    midi_file = mido.MidiFile(file=io.BytesIO(data))
    return {t.name: list(t) for t in midi_file.tracks}


def test_melody_chords_and_bass_are_separate_tracks_and_channels(renderer) -> None:
    midi = abc_to_midi(TUNE, renderer=renderer)
    tracks = _tracks(midi.data)
    assert {"Melody", "Chords", "Bass"} <= set(tracks)
    programs = {
        name: [m.program for m in msgs if m.type == "program_change"]
        for name, msgs in tracks.items()
    }
    assert programs["Chords"] == [24] and programs["Bass"] == [32]
    bass = [m for m in tracks["Bass"] if m.type == "note_on"]
    chords = [m for m in tracks["Chords"] if m.type == "note_on"]
    assert {m.channel for m in bass} == {2} and {m.channel for m in chords} == {1}
    # Oom-pah, repeat followed: 8 bars played, bass twice a bar, G then C roots.
    assert len(bass) == 16
    assert [m.note % 12 for m in bass[:4]] == [7, 7, 0, 0]
    assert {m.note % 12 for m in chords[:3]} == {7, 11, 2}  # G B D


def test_midi_directives_and_transposition(renderer) -> None:
    tune = TUNE.replace("K:G\n", "%%MIDI chordprog 21\n%%MIDI bassprog 33\nK:G\n")
    midi = abc_to_midi(tune, renderer=renderer, transpose=2)
    assert dict(midi.programs)[1] == 21 and dict(midi.programs)[2] == 33
    bass = sorted((n for n in midi.band if n.channel == 2), key=lambda n: n.on_ms)
    assert bass[0].pitch % 12 == 9  # G up a tone: A
    off = abc_to_midi(TUNE.replace("K:G\n", "%%MIDI gchordoff\nK:G\n"), renderer=renderer)
    assert off.band == () and "Bass" not in _tracks(off.data)
    assert midi_directives("%%MIDI gchord fzcfzc\n").pattern == "fzcfzc"
    assert abc_to_midi(TUNE, renderer=renderer, band=BandOptions(enabled=False)).band == ()


def _energy(samples: np.ndarray, start_ms: float, freq: float) -> float:
    rate = 44100
    a = int(start_ms / 1000 * rate) + 441
    window = samples[a : a + int(0.2 * rate)].astype(np.float64).mean(axis=1)
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    freqs = np.fft.rfftfreq(len(window), 1 / rate)
    total = 0.0
    for harmonic in (freq, 2 * freq):
        total += spectrum[(freqs > harmonic * 0.97) & (freqs < harmonic * 1.03)].sum()
    return total


def test_the_wav_has_the_chord_roots_in_the_bass_on_the_strong_beats(renderer) -> None:
    font = bundled_soundfont()
    samples = render_audio(abc_to_midi(TUNE, renderer=renderer), font, 44100)
    bare = render_audio(
        abc_to_midi(TUNE, renderer=renderer, band=BandOptions(enabled=False)), font, 44100
    )
    g2, c3 = 98.0, 130.81
    for bar in range(8):
        for beat in (0.0, BAR_MS / 2):  # beats 1 and 3
            at = bar * BAR_MS + beat
            root, other = (g2, c3) if bar % 2 == 0 else (c3, g2)
            assert _energy(samples, at, root) > 3 * _energy(samples, at, other)
            assert _energy(samples, at, root) > 10 * _energy(bare, at, root)
