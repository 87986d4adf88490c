"""The first Play is as quick as the rest: the player and its SoundFont are made off the GUI
thread after start-up, and Play then uses that player instead of loading another. After
Generate the focus is back in the editor, where Space types and Ctrl+Space plays."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from gui_fakes import fake_services
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from composeium_desktop.gui.services import CoreServices

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "bucks-of-oranmore.abc"


class _CountingMaker:
    """make_player that keeps every player it makes (on a simulated output)."""

    def __init__(self) -> None:
        self.made: list[object] = []

    def __call__(self, soundfont: str, device: str):
        from composeium_desktop.core.audio.player import Player, SimulatedOutputStream

        player = Player(soundfont or None, stream_factory=SimulatedOutputStream)
        self.made.append(player)
        return player


@pytest.mark.slow
def test_the_player_is_made_in_the_background_and_the_first_play_uses_it(
    qtbot, make_window
) -> None:
    maker = _CountingMaker()
    window = make_window(dataclasses.replace(CoreServices(), make_player=maker))
    window.playback.preload()
    qtbot.waitUntil(lambda: window.playback._player is not None, timeout=60_000)
    player = window.playback._player
    assert maker.made == [player]
    assert player._synth is not None, "the SoundFont should be loaded before Play"
    assert player._stream is None, "preloading must not open the output"
    window.editor.setPlainText(EXAMPLE.read_text(encoding="utf-8"))
    qtbot.waitUntil(window.score_view.has_score, timeout=60_000)
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    assert maker.made == [player], "Play made a second player instead of the preloaded one"
    window.transport.stop_button.click()


def test_a_preload_that_finds_no_device_leaves_play_to_say_so(qtbot, make_window) -> None:
    window = make_window(fake_services())  # its make_player finds no output device
    window.playback.preload()
    qtbot.waitUntil(lambda: window.playback._preload_task == 0, timeout=10_000)
    assert window.playback._player is None
    window.editor.setPlainText(EXAMPLE.read_text(encoding="utf-8"))
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: "no audio output device" in window.transport.message_label.text())


def test_after_generate_the_focus_is_back_in_the_editor(qtbot, make_window) -> None:
    window = make_window(fake_services())
    window.activateWindow()
    window.start_background_work(Path("."), offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)
    window.panel.seed_spin.setFocus(Qt.FocusReason.OtherFocusReason)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=30_000):
        window.compose.generate()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.editor, timeout=5_000)
