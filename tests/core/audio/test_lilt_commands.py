"""`composeium export --swing` and `composeium play --swing`: the swing asked for is what the MIDI
file holds and what the player plays (one path), and a bad value is one clear line."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from composeium_desktop.cli import main
from composeium_desktop.core.audio import output
from composeium_desktop.core.audio.player import Player

# Two bars of plain eighths in a hornpipe at 240 quarters a minute (an eighth is 125 ms).
HORNPIPE = "X:1\nT:Swung\nR:hornpipe\nM:4/4\nL:1/8\nQ:1/4=240\nK:D\nFAdA FAdA|GBdB GBdB|]\n"


@pytest.fixture
def tune_file(tmp_path: Path) -> Path:
    path = tmp_path / "hornpipe.abc"
    path.write_text(HORNPIPE)
    return path


def _second_onset_ticks(path: Path) -> int:
    """When the second melody note starts (480 ticks a quarter: 240 when straight)."""
    now, ons = 0, []
    for message in mido.MidiFile(str(path)).tracks[1]:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            ons.append(now)
    return ons[1]


@pytest.mark.parametrize(
    ("swing", "ticks"), [(None, 320), ("0", 240), ("straight", 240), ("3:1", 360), ("50%", 320)]
)
def test_export_swing_is_in_the_midi_file(tune_file, tmp_path, capsys, swing, ticks):
    out = tmp_path / "out.mid"
    args = ["export", str(tune_file), "--midi", str(out)]
    assert main(args + (["--swing", swing] if swing else [])) == 0
    assert _second_onset_ticks(out) == ticks


@pytest.mark.parametrize("command", ["export", "play"])
def test_a_bad_swing_is_refused(tune_file, tmp_path, capsys, command):
    extra = ["--midi", str(tmp_path / "x.mid")] if command == "export" else []
    assert main([command, str(tune_file), *extra, "--swing", "5:1"]) == 2
    assert "--swing" in capsys.readouterr().err


def test_play_plays_the_swing_it_is_given(tune_file, monkeypatch, capsys):
    """On a simulated output (no device needed): the loaded MIDI is swung as asked."""
    loaded = []
    original_load = Player.load

    def load(self, midi):
        loaded.append(midi)
        original_load(self, midi)

    def simulated(device=None, underflows=None):
        def factory(rate, block, fill):
            return output.SimulatedOutputStream(rate, block, fill, realtime=False)

        return factory

    monkeypatch.setattr(Player, "load", load)
    monkeypatch.setattr(output, "device_stream_factory", simulated)
    assert main(["play", str(tune_file), "--swing", "3:1"]) == 0
    notes = loaded[0].notes
    assert (notes[1].on_ms - notes[0].on_ms) / (notes[2].on_ms - notes[1].on_ms) == pytest.approx(
        3.0, abs=0.01
    )
    assert "swing 3:1" in capsys.readouterr().out
