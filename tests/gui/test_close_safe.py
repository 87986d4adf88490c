"""Closing is safe (issue 19, item 7): closed while a tiny model generates, the score renders,
exports run and a tune plays, the window closes, no worker is left (conftest checks every
thread, pool job and timer) and every export that was asked for is written complete."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import mido
import pytest

from composeium_desktop.core.audio.player import Player, SimulatedOutputStream
from composeium_desktop.gui.controllers.export import EXPORT_KINDS
from composeium_desktop.gui.services import CoreServices

TUNE = (
    Path(__file__).resolve().parents[2] / "resources" / "examples" / "bucks-of-oranmore.abc"
).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-model"))


@pytest.mark.slow
def test_closing_while_everything_runs_leaves_nothing_and_drops_no_export(
    qtbot, make_window, tiny_model_dir, tmp_path
) -> None:
    players: list[Player] = []

    def make_player(soundfont: str, device: str) -> Player:
        players.append(Player(soundfont or None, stream_factory=SimulatedOutputStream))
        return players[-1]

    window = make_window(dataclasses.replace(CoreServices(), make_player=make_player))
    window.start_background_work(tiny_model_dir, offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=120_000)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(TUNE)
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: bool(players) and players[0].playing, timeout=60_000)

    kinds = {kind.key: kind for kind in EXPORT_KINDS}
    wav, midi = tmp_path / "tune.wav", tmp_path / "tune.mid"
    exports = window.files.exports
    exports.export_to(kinds["wav"], wav, TUNE)
    exports.export_to(kinds["midi"], midi, TUNE)  # queued behind the WAV
    window.panel.length_spin.setValue(1024)
    steps: list = []
    window.compose.generation.step.connect(steps.append)
    window.compose.generate()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=60_000)
    window.score.refresh_now()  # and a render asked for
    assert window.compose.busy and players[0].playing and exports.pending

    window.editor.document().setModified(False)
    window.close()

    assert window.isHidden()
    assert not players[0].playing
    with wave.open(str(wav)) as audio:  # complete: the header's length is what is there
        assert audio.getnframes() > audio.getframerate() * 10
        assert len(audio.readframes(audio.getnframes())) == audio.getnframes() * 4
    notes = [m for m in mido.MidiFile(str(midi)).tracks[1] if m.type == "note_on"]
    assert len(notes) > 100
    assert not list(tmp_path.glob("*.tmp*")) and sorted(p.name for p in tmp_path.iterdir()) == [
        "tune.mid",
        "tune.wav",
    ]
