"""The live player driven through an injected output stream, rendering to arrays."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.audio import player as player_module
from composeium_desktop.core.audio.first_sound import benchmark_first_sound
from composeium_desktop.core.audio.midi import abc_to_midi
from composeium_desktop.core.audio.player import (
    AudioDeviceError,
    Player,
    SimulatedOutputStream,
    sounddevice_stream,
)
from composeium_desktop.core.audio.soundfont import bundled_soundfont
from composeium_desktop.core.render import Renderer

JIG = (Path(__file__).resolve().parents[2] / "data" / "test_jig.abc").read_text()
BLOCK = 256
RATE = 44100
BLOCK_MS = BLOCK / RATE * 1000.0


@pytest.fixture(scope="module")
def midi():
    with Renderer() as renderer:
        return abc_to_midi(JIG, renderer=renderer)


class ManualStream(SimulatedOutputStream):
    """An output whose blocks the test pulls itself: no thread, no real time, no device."""

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


def _level(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_first_sound_is_within_two_blocks_after_play(rig):
    player, stream = rig
    assert _level(stream.pull(4)) < 2  # dither only
    player.play()
    # The note starts in the first block; TimGM6mb's piano sample itself fades in over ~7 ms.
    first = stream.pull(2)
    assert np.abs(first).max() > 100


def test_position_advances_in_real_time_and_reports_sounding_elements(rig, midi):
    player, stream = rig
    positions = []
    player.add_position_listener(positions.append)
    player.play()
    stream.pull(200)
    assert player.position().ms == pytest.approx(200 * BLOCK_MS, abs=0.5)
    sounding = [p for p in positions if p.element_ids]
    assert sounding and positions[-1].playing
    for report in sounding:
        for element_id in report.element_ids:
            spans = [t for t in midi.timemap if t.id == element_id]
            assert any(t.on_ms <= report.ms < t.off_ms for t in spans)


def test_pause_silences_and_resume_continues(rig):
    player, stream = rig
    player.play()
    stream.pull(50)
    player.pause()
    at = player.position().ms
    stream.pull(400)  # let the release tail die away
    assert _level(stream.pull(20)) < 5
    assert player.position().ms == at and not player.position().playing
    player.resume()
    assert _level(stream.pull(40)) > 100
    assert player.position().ms > at


def test_stop_returns_to_the_start(rig):
    player, stream = rig
    player.play()
    stream.pull(100)
    player.stop()
    assert player.position().ms == 0.0 and not player.playing


def test_seek_to_time_and_to_a_note(rig, midi):
    player, stream = rig
    player.seek(5000.0)
    assert player.position().ms == 5000.0
    target = midi.timemap[20]
    player.seek(0.0)
    player.seek_to_element(target.id)
    first = min(t.on_ms for t in midi.timemap if t.id == target.id)
    assert player.position().ms == pytest.approx(first)
    player.seek(first + 1.0)
    player.seek_to_element(target.id)  # a repeated note: its next occurrence
    assert player.position().ms == pytest.approx(target.on_ms)
    player.play()
    stream.pull(2)
    assert target.id in player.position().element_ids or player.position().ms > target.off_ms
    with pytest.raises(KeyError):
        player.seek_to_element("no-such-id")


def test_tempo_change_takes_effect_while_playing(rig, midi):
    player, stream = rig
    player.play()
    stream.pull(100)
    before = player.position().ms
    player.set_tempo(midi.tempo * 2)
    stream.pull(100)
    assert player.position().ms - before == pytest.approx(2 * 100 * BLOCK_MS, abs=1.0)


def test_program_change_while_playing_changes_the_sound(rig):
    player, stream = rig
    player.play()
    piano = stream.pull(60)
    player.seek(0.0)
    player.set_program(73)  # flute
    flute = stream.pull(60)
    assert player.program == 73
    assert not np.array_equal(piano, flute) and _level(flute) > 100


def test_loop_wraps_and_the_end_is_reported(rig, midi):
    player, stream = rig
    finished = threading.Event()
    player.add_finished_listener(finished.set)
    player.set_loop(1000.0, 2000.0)
    player.play(from_ms=1000.0)
    stream.pull(int(1500 / BLOCK_MS))
    assert 1000.0 <= player.position().ms < 2000.0 and player.playing
    assert not finished.is_set()
    player.set_loop(None)
    player.seek(midi.duration_ms - 100)
    stream.pull(int(200 / BLOCK_MS))
    assert finished.is_set() and not player.playing


def test_no_output_device_is_a_clear_error_and_nothing_else_breaks(midi, monkeypatch):
    import sounddevice as sd

    monkeypatch.setattr(sd, "query_devices", lambda: [])
    with Player(bundled_soundfont()) as player:
        player.load(midi)
        with pytest.raises(AudioDeviceError, match="no audio output device found"):
            player.play()
        assert not player.playing
        player.seek(1000.0)
        assert player.position().ms == 1000.0


def test_the_default_stream_reports_the_devices_portaudio_sees(monkeypatch):
    import sounddevice as sd

    monkeypatch.setattr(sd, "query_devices", lambda: [{"max_output_channels": 0}])
    with pytest.raises(AudioDeviceError, match=r"PortAudio reports 0 output devices"):
        sounddevice_stream(RATE, BLOCK, lambda out, frames: None)
    assert "0 output devices" in player_module.output_device_problem()
    monkeypatch.setattr(sd, "query_devices", lambda: [{"max_output_channels": 2}])
    assert player_module.output_device_problem() is None


def test_first_sound_benchmark_runs_on_a_simulated_stream(midi):
    assert benchmark_first_sound(midi, bundled_soundfont()) > 0


def test_a_failure_in_the_audio_callback_stops_playback_and_is_reported(rig, monkeypatch):
    player, stream = rig
    errors = []
    player.add_error_listener(errors.append)
    player.play()

    def broken(frames):
        raise RuntimeError("synth exploded")

    monkeypatch.setattr(player._synth, "samples", broken)
    block = stream.pull(1)
    assert np.abs(block).max() == 0
    assert [str(e) for e in errors] == ["synth exploded"] and not player.playing
