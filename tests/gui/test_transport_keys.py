"""Keyboard and transport behaviour a musician relies on (issue 19): Space plays/pauses unless a
text field has the focus, Ctrl+Space works in the editor too, the slider's groove seeks and
the time label follows a drag, the practice buttons reach the player."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPoint, Qt

from composeium_desktop.gui.services import CoreServices


def _counting_toggle(window) -> list[int]:
    calls: list[int] = []
    window.playback.toggle = lambda: calls.append(1)
    return calls


def test_space_plays_unless_typing_and_ctrl_space_works_in_the_editor(qtbot, make_window):
    window = make_window()
    calls = _counting_toggle(window)
    menu_fired: list[bool] = []
    window.play_action.triggered.connect(lambda *_: menu_fired.append(True))
    window.transport.loop_button.setFocus()
    qtbot.waitUntil(window.transport.loop_button.hasFocus)
    qtbot.keyClick(window.transport.loop_button, Qt.Key.Key_Space)
    assert calls == [1]
    assert not window.transport.loop_button.isChecked()  # Space did not press the button
    window.editor.setFocus()
    qtbot.waitUntil(window.editor.hasFocus)
    before = window.editor.toPlainText()
    qtbot.keyClick(window.editor, Qt.Key.Key_Space)
    assert calls == [1]
    assert window.editor.toPlainText() == before + " "
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert calls == [1, 1]
    assert window.editor.toPlainText() == before + " "
    assert menu_fired == []  # the menu's Space shortcut never plays a second time


def test_clicking_the_groove_seeks_there_and_dragging_moves_the_time_label(qtbot, make_window):
    window = make_window()
    transport = window.transport
    transport.set_duration(60_000.0)
    slider = transport.position_slider
    with qtbot.waitSignal(transport.seek_requested) as blocker:
        qtbot.mouseClick(
            slider,
            Qt.MouseButton.LeftButton,
            pos=QPoint(int(slider.width() * 0.75), slider.height() // 2),
        )
    assert 0.6 * 60_000 < blocker.args[0] < 0.9 * 60_000
    slider.sliderMoved.emit(30_000)
    assert transport.time_label.text() == "0:30 / 1:00"


def test_practice_buttons_reach_the_player(qtbot, make_window):
    from composeium_desktop.core.audio.player import Player, SimulatedOutputStream

    made: list[Player] = []

    def make_player(soundfont: str, device: str) -> Player:
        made.append(Player(soundfont or None, stream_factory=SimulatedOutputStream))
        return made[-1]

    window = make_window(dataclasses.replace(CoreServices(), make_player=make_player))
    transport = window.transport
    transport.count_in_button.setChecked(True)
    transport.metronome_button.setChecked(True)
    transport.ramp_combo.setCurrentIndex(2)
    assert window.playback._ensure_player()
    player = made[0]
    assert (player.count_in_bars, player.metronome) == (1, True)
    assert player._ramp == (0.6, 0.1)
    transport.mute_button.setChecked(True)
    assert player.mute_melody
