"""Playback from the transport through the real core player, on a simulated output stream
(no sound card needed): the sounding note is highlighted in score and editor, Stop clears it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from composeium_desktop.gui.services import CoreServices

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "bucks-of-oranmore.abc"


def _simulated_player(soundfont: str, device: str):
    from composeium_desktop.core.audio.player import Player, SimulatedOutputStream

    return Player(soundfont or None, stream_factory=SimulatedOutputStream)


@pytest.mark.slow
def test_play_highlights_the_sounding_note_and_stop_clears_it(qtbot, make_window) -> None:
    window = make_window(dataclasses.replace(CoreServices(), make_player=_simulated_player))
    window.editor.setPlainText(EXAMPLE.read_text(encoding="utf-8"))
    qtbot.waitUntil(window.score_view.has_score, timeout=60_000)
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    box = window.score_view._playback_box
    qtbot.waitUntil(box.isVisible, timeout=10_000)
    qtbot.waitUntil(lambda: window.transport.position_slider.value() > 0, timeout=10_000)
    assert window.transport.message_label.isHidden()
    window.transport.tempo_spin.setValue(150)
    window.transport.program_combo.setCurrentIndex(40)
    window.transport.play_button.click()
    assert window.playback.paused
    window.transport.stop_button.click()
    assert not window.playback.playing
    assert not box.isVisible()
