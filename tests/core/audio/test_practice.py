"""Practice tools of the core player: count-in, metronome, loop a selection, tempo ramp, mute."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop.core.audio.clicks import beat_grid, meter_of
from composeium_desktop.core.audio.midi import abc_to_midi
from composeium_desktop.core.audio.player import Player, SimulatedOutputStream
from composeium_desktop.core.audio.soundfont import bundled_soundfont
from composeium_desktop.core.render import Renderer

RATE, BLOCK = 44100, 256
# Two bars of 4/4 at 120: a bar is 2 s, a beat 0.5 s; the first note starts after a quarter rest.
TUNE = "X:1\nT:Practice\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\nz C D E|F G A B|]\n"


@pytest.fixture(scope="module")
def midi():
    with Renderer() as renderer:
        return abc_to_midi(TUNE, renderer=renderer)


class ManualStream(SimulatedOutputStream):
    def start(self) -> None:
        pass


@pytest.fixture
def rig(midi):
    streams: list[ManualStream] = []

    def factory(rate, block, fill):
        streams.append(ManualStream(rate, block, fill))
        return streams[-1]

    player = Player(bundled_soundfont(), RATE, BLOCK, stream_factory=factory)
    player.load(midi)
    player.prepare()
    yield player, streams[0]
    player.close()


def _onsets(samples: np.ndarray, threshold: float = 1500.0) -> list[float]:
    """Seconds at which the level rises above `threshold` after 60 ms below it."""
    mono = np.abs(samples.astype(np.float64)).max(axis=1)
    window = int(RATE * 0.005)
    env = np.array([mono[i : i + window].max() for i in range(0, len(mono) - window, window)])
    quiet, onsets = 12, []
    for index, value in enumerate(env):
        if value > threshold and quiet >= 12:
            onsets.append(index * window / RATE)
        quiet = 0 if value > threshold else quiet + 1
    return onsets


def _pull_seconds(stream: ManualStream, seconds: float) -> np.ndarray:
    return stream.pull(int(np.ceil(seconds * RATE / BLOCK)))


def test_the_beat_is_counted_as_musicians_count_it(midi):
    assert meter_of(midi) == (4, 4)
    assert beat_grid((4, 4), 120.0) == (500.0, 4)
    assert beat_grid((6, 8), 120.0) == (750.0, 2)  # dotted quarters
    assert beat_grid((3, 4), 90.0) == (pytest.approx(666.667, abs=1e-3), 3)


def test_count_in_clicks_a_bar_before_the_first_note(rig):
    player, stream = rig
    player.set_count_in(1)
    player.play()
    assert player.counting_in
    audio = _pull_seconds(stream, 3.0)
    onsets = _onsets(audio)
    # Four clicks, half a second apart, then the first note a rest later (2 s + 0.5 s).
    assert onsets[:4] == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=0.012)
    assert any(abs(t - 2.5) < 0.03 for t in onsets[4:])
    # The position stays at the start during the count-in, then follows the music.
    assert player.position().ms == pytest.approx(1000.0, abs=2 * BLOCK / RATE * 1000)


def test_the_first_beat_of_the_count_in_is_accented(rig):
    player, stream = rig
    player.set_count_in(1)
    player.play()
    audio = _pull_seconds(stream, 2.0)[:, 0].astype(np.float64)
    first, second = audio[: int(RATE * 0.03)], audio[int(RATE * 0.5) : int(RATE * 0.53)]
    assert np.abs(first).max() > 1.5 * np.abs(second).max()


def test_metronome_clicks_on_every_beat_of_the_music(rig):
    player, stream = rig
    player.set_metronome(True)
    player.set_mute_melody(True)  # nothing but clicks (this tune has no band)
    player.play()
    onsets = _onsets(_pull_seconds(stream, 2.2))
    assert onsets[:5] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0], abs=0.012)


def test_mute_melody_silences_the_tune(rig):
    player, stream = rig
    player.set_mute_melody(True)
    player.play()
    assert np.abs(_pull_seconds(stream, 2.0)).max() < 200


def test_loop_of_a_selection_plays_only_those_notes(rig, midi):
    player, stream = rig
    ids = [t.id for t in sorted(midi.timemap, key=lambda t: t.on_ms)]
    # Loop the second bar's first two notes (F G): 2.0 s to 3.0 s of the tune.
    start, end = player.loop_elements(ids[4], ids[5])
    assert (start, end) == pytest.approx((2000.0, 3000.0))
    player.play(from_ms=start)
    onsets = _onsets(_pull_seconds(stream, 3.05))
    assert onsets == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0], abs=0.02)
    assert player.passes == 3


def test_tempo_ramp_rises_each_time_round_until_full_speed(rig):
    player, stream = rig
    player.set_loop(2000.0, 3000.0)
    player.set_ramp(0.5, 0.25)
    player.play(from_ms=2000.0)
    heard = []
    for _ in range(4):
        heard.append(player.tempo)
        passes = player.passes
        while player.passes == passes:
            stream.pull(1)
    assert heard == pytest.approx([60.0, 90.0, 120.0, 120.0])
    # One pass at half speed lasts twice as long as one at full speed.
    player.play(from_ms=2000.0)
    blocks = 0
    while player.passes == 0:
        stream.pull(1)
        blocks += 1
    assert blocks * BLOCK / RATE == pytest.approx(2.0, abs=0.02)
