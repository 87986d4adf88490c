"""Live playback through a real audio device: PulseAudio's null sink "v", recorded from its monitor.

`scripts/setup.sh test` (what .ci/run runs) starts the daemon and the sink. Without it these
tests skip on a developer's machine and fail on CI (CI=true), where the device must exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.audio.midi import abc_to_midi
from composeium_desktop.core.audio.output import UnderflowCounter, device_stream_factory
from composeium_desktop.core.audio.player import Player
from composeium_desktop.core.audio.soundfont import bundled_soundfont
from composeium_desktop.core.audio.synth import render_audio
from composeium_desktop.core.render import Renderer

pytestmark = pytest.mark.audio_device

RATE = 44100
WINDOW = 441  # 10 ms envelope windows
TUNE = "X:1\nT:Device\nM:4/4\nL:1/8\nQ:1/4=120\nK:D\nd2fd A2FA|dfed cABc|d2fa gfed|cAGE D4|]\n"


def _sink_ready() -> str | None:
    if shutil.which("pactl") is None or shutil.which("parec") is None:
        return "pulseaudio-utils is not installed"
    sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True)
    if sinks.returncode != 0 or "\tv\t" not in sinks.stdout:
        return "no PulseAudio null sink 'v' (scripts/setup.sh test starts it)"
    return None


@pytest.fixture(scope="module", autouse=True)
def device():
    problem = _sink_ready()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the virtual audio device: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def midi():
    with Renderer() as renderer:
        return abc_to_midi(TUNE, renderer=renderer)


class Recorder:
    """parec of v.monitor into a raw file; `frames()` is how much has been recorded so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("wb")
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                "v.monitor",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=2",
                "--latency-msec=5",
                "--process-time-msec=5",
            ],
            stdout=self._out,
        )
        self.wait_for(2.0)  # record ~2 s of silence before anything plays

    def frames(self) -> int:
        return self.path.stat().st_size // 4

    def wait_for(self, seconds: float) -> None:
        target = self.frames() + int(seconds * RATE)
        deadline = time.monotonic() + seconds + 10
        while self.frames() < target:
            assert time.monotonic() < deadline, "the recording stalled"
            time.sleep(0.005)

    def stop(self) -> np.ndarray:
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._out.close()
        data = np.frombuffer(self.path.read_bytes()[: self.frames() * 4], dtype="<i2")
        return data.reshape(-1, 2)


@pytest.fixture
def recorder(tmp_path):
    rec = Recorder(tmp_path / "monitor.raw")
    yield rec
    if rec._proc.poll() is None:
        rec.stop()


@pytest.fixture
def player(midi):
    p = Player(bundled_soundfont(), stream_factory=device_stream_factory())
    p.load(midi)
    p.prepare()
    yield p
    p.close()


def _envelope(samples: np.ndarray) -> np.ndarray:
    mono = samples.astype(np.float64).mean(axis=1)
    n = len(mono) // WINDOW
    return np.sqrt((mono[: n * WINDOW].reshape(n, WINDOW) ** 2).mean(axis=1))


def _first_sound(samples: np.ndarray, start: int, threshold: int = 300) -> int:
    loud = np.nonzero(np.abs(samples[start:]).max(axis=1) > threshold)[0]
    assert len(loud), "nothing was heard"
    return int(loud[0])


def _wait(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "playback did not get there"
        time.sleep(0.005)


def _play_through(player: Player) -> None:
    done = threading.Event()
    player.add_finished_listener(done.set)
    player.play()
    assert done.wait(30), "playback did not finish"


def test_the_recording_is_the_wav_export_and_starts_at_once(player, recorder, midi):
    at_play = recorder.frames()
    _play_through(player)
    recorder.wait_for(1.5)  # the release tail the WAV export keeps, and the latency
    recording = recorder.stop()
    first_ms = _first_sound(recording, at_play) / RATE * 1000.0
    assert first_ms <= 100.0
    wav = render_audio(midi, bundled_soundfont())
    expected, heard = _envelope(wav), _envelope(recording[at_play:])
    lags = range(0, 40)  # up to 400 ms of output latency
    scores = [np.corrcoef(expected, heard[lag : lag + len(expected)])[0, 1] for lag in lags]
    print(f"first sound {first_ms:.1f} ms, envelope correlation {max(scores):.3f}")
    assert max(scores) >= 0.9


def test_pause_is_silent_and_a_loop_is_heard_again(player, recorder):
    at_play = recorder.frames()
    player.play()
    _wait(lambda: player.position().ms >= 1000.0)
    player.pause()
    paused_at = recorder.frames()
    recorder.wait_for(1.0)
    player.set_loop(0.0, 1000.0)
    player.play(from_ms=0.0)
    looped_at = recorder.frames()
    _wait(lambda: player.passes >= 2)
    player.stop()
    recorder.wait_for(0.3)
    recording = recorder.stop()
    assert _first_sound(recording, at_play) / RATE < 0.1
    # 300 ms after the pause (release tail and latency), a silent half second.
    quiet = recording[paused_at + int(0.3 * RATE) : paused_at + int(0.8 * RATE)]
    assert np.abs(quiet).max() < 300
    # The loop's first second is heard twice: the same envelope one second apart.
    start = looped_at + _first_sound(recording, looped_at)
    one = _envelope(recording[start : start + int(0.9 * RATE)])
    two = _envelope(recording[start + RATE : start + RATE + int(0.9 * RATE)])
    assert np.corrcoef(one, two)[0, 1] >= 0.9


def test_the_count_in_clicks_before_the_first_note(player, recorder):
    player.set_count_in(1)
    at_play = recorder.frames()
    player.play()
    _wait(lambda: player.position().ms >= 500.0)
    player.stop()
    recorder.wait_for(0.3)
    recording = recorder.stop()
    env = _envelope(recording[at_play:])
    loud = env > 300
    onsets = [i for i in range(1, len(loud)) if loud[i] and not loud[max(0, i - 8) : i].any()]
    first = onsets[0]
    # Four clicks 500 ms apart, then the tune's first note a bar (2 s) after the first click.
    assert [(o - first) * 10 for o in onsets[:5]] == pytest.approx(
        [0, 500, 1000, 1500, 2000], abs=30
    )


@pytest.mark.slow
def test_a_minute_of_playback_under_cpu_load_has_no_underflows(midi):
    underflows = UnderflowCounter()
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with Player(
            bundled_soundfont(), stream_factory=device_stream_factory(None, underflows)
        ) as p:
            p.load(midi)
            p.set_loop(0.0)
            p.play()
            started = time.monotonic()
            _wait(lambda: p.passes * midi.duration_ms + p.position().ms >= 60000.0, timeout=180)
            wall = time.monotonic() - started
            p.stop()
    finally:
        burner.kill()
        burner.wait()
    print(f"60 s of music in {wall:.1f} s, {underflows.count} underflows")
    assert underflows.count == 0
