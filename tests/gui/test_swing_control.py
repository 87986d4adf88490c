"""The transport's swing control changes what plays: the real core MIDI in a real core player (on
a simulated output, no sound card needed), remade from the same place when changed while playing;
audio exports get the same swing."""

from __future__ import annotations

import dataclasses

import pytest
from gui_fakes import fake_services

from composeium_desktop.core.audio.lilt import Lilt
from composeium_desktop.core.audio.player import Player, SimulatedOutputStream
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import AppSettings

# Plain eighths in a hornpipe at 120 quarters a minute: straight, an off-beat comes 250 ms after
# its beat; swung 2:1 (the hornpipe's own swing), 333 ms after.
HORNPIPE = (
    "X:1\nT:Swung\nR:hornpipe\nM:4/4\nL:1/8\nQ:1/4=120\nK:D\n"
    "FAdA FAdA|GBdB GBdB|FAdA FAdA|GBdB GBdB|]\n"
)


class _RecordingPlayer(Player):
    """The core player, remembering every MIDI it was given."""

    def __init__(self) -> None:
        super().__init__(None, stream_factory=SimulatedOutputStream)
        self.loaded: list = []

    def load(self, midi) -> None:
        self.loaded.append(midi)
        super().load(midi)


def _off_beat_ratio(midi) -> float:
    first, second, third = (note.on_ms for note in midi.notes[:3])
    return (second - first) / (third - second)


@pytest.mark.slow
def test_the_swing_control_changes_what_plays(qtbot, make_window) -> None:
    players: list[_RecordingPlayer] = []

    def make_player(soundfont: str, device: str) -> Player:
        players.append(_RecordingPlayer())
        return players[-1]

    services = dataclasses.replace(
        fake_services(), make_player=make_player, make_midi=CoreServices().make_midi
    )
    window = make_window(services)
    window.editor.setPlainText(HORNPIPE)
    transport = window.transport
    transport.set_swing(0.0)
    assert transport.swing_combo.currentText() == "Straight"
    transport.count_in_button.setChecked(True)
    transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    player = players[0]
    straight = player.loaded[-1]
    assert _off_beat_ratio(straight) == pytest.approx(1.0, abs=0.01)
    qtbot.waitUntil(lambda: player.position().ms > 500, timeout=10_000)

    transport.set_swing(50.0)  # while playing
    qtbot.waitUntil(lambda: len(player.loaded) == 2 and player.playing, timeout=60_000)
    swung = player.loaded[-1]
    assert _off_beat_ratio(swung) == pytest.approx(2.0, abs=0.01)
    assert swung.duration_ms == straight.duration_ms
    assert player.position().ms >= 500  # it went on from where it was, not from the start
    assert window.playback.playing and not window.playback.paused
    assert not player.counting_in  # a swing change brings no count-in

    transport.set_swing(None)  # by genre: a hornpipe swings 2:1 as well
    transport.stop_button.click()
    transport.play_button.click()
    qtbot.waitUntil(lambda: len(player.loaded) == 3, timeout=60_000)
    assert _off_beat_ratio(player.loaded[-1]) == pytest.approx(2.0, abs=0.01)
    transport.stop_button.click()


def test_audio_exports_use_the_transport_swing(qtbot, make_window) -> None:
    window = make_window(fake_services())
    assert window.playback.options()["lilt"] == Lilt(swing=None)  # the genre's by default
    window.transport.set_swing(100.0)
    assert window.transport.swing_combo.currentText() == "Dotted 3:1"
    assert window.playback.options()["lilt"] == Lilt(swing=100.0)


def test_a_swing_change_while_paused_stays_paused(qtbot, make_window) -> None:
    calls: list[tuple] = []

    class _Player:
        def __getattr__(self, name: str):
            return lambda *args: calls.append((name, *args))

        def position(self):
            return type("Position", (), {"ms": 1234.0})()

    midis: list = []

    def make_midi(text, tempo, program, lilt=None):
        midis.append(lilt)
        return type("MIDI", (), {"tempo": 120, "duration_ms": 4000.0})()

    services = dataclasses.replace(
        fake_services(), make_player=lambda soundfont, device: _Player(), make_midi=make_midi
    )
    window = make_window(services)
    window.editor.setPlainText(HORNPIPE)
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=10_000)
    window.transport.play_button.click()
    assert window.playback.paused
    window.transport.set_swing(25.0)
    qtbot.waitUntil(lambda: len(midis) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: ("seek", 1234.0) in calls, timeout=10_000)
    assert midis == [Lilt(swing=None), Lilt(swing=25.0)]
    assert window.playback.paused and [c[0] for c in calls].count("play") == 1


def test_the_swing_is_remembered_between_runs(qtbot, make_window) -> None:
    window = make_window(fake_services(), AppSettings(swing=50.0))
    assert window.transport.swing() == 50.0
    window.transport.set_swing(0.0)
    assert window.collect_settings().swing == 0.0
    window.transport.set_swing(None)
    assert window.collect_settings().swing < 0
    assert AppSettings().swing < 0  # a first run plays each tune with its genre's swing
