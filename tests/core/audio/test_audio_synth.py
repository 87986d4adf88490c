"""Offline FluidSynth rendering: length, level, silence before the first note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.audio.midi import abc_to_midi
from composeium_desktop.core.audio.soundfont import bundled_soundfont, find_soundfont
from composeium_desktop.core.audio.synth import TAIL_MS, render_audio
from composeium_desktop.core.render import Renderer

JIG = (Path(__file__).resolve().parents[2] / "data" / "test_jig.abc").read_text()


@pytest.fixture(scope="module")
def midi():
    with Renderer() as renderer:
        return abc_to_midi(JIG, renderer=renderer)


@pytest.mark.parametrize("which", ["found", "bundled"])
def test_render_audio_has_the_tune_length_and_a_real_level(midi, which):
    font = find_soundfont() if which == "found" else bundled_soundfont()
    samples = render_audio(midi, font, 44100)
    assert samples.dtype == np.int16 and samples.shape[1] == 2
    expected = (midi.duration_ms + TAIL_MS) / 1000.0 * 44100
    assert abs(samples.shape[0] - expected) <= 2
    rms = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
    assert rms > 300 and np.abs(samples).max() < 32767


def test_a_rest_at_the_start_is_silent():
    tune = "X:1\nT:Rest\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\nz2 C2|]\n"
    with Renderer() as renderer:
        midi = abc_to_midi(tune, renderer=renderer)
    samples = render_audio(midi, bundled_soundfont(), 44100)
    assert np.abs(samples[: int(0.95 * 44100)]).max() <= 4  # dither only
    assert np.abs(samples[44100 : 2 * 44100]).max() > 1000
