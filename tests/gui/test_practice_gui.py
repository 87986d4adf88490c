"""Practice tools in the window over the real core (engraver, MIDI, player on a simulated
output): loop part A or B, play from the cursor or a clicked note, the loop shown in editor and
score, the tempo counted in Q:'s beat, and the score cursor on time under swing (issue 19)."""

from __future__ import annotations

import dataclasses
import os

import pytest
from PySide6.QtCore import Qt

from composeium_desktop.core.audio.player import Player, SimulatedOutputStream
from composeium_desktop.gui.services import CoreServices

# A jig at 120 dotted quarters (a bar is 1 s): a pickup, A with first and second endings, B.
JIG = (
    "X:1\nT:Parts\nM:6/8\nL:1/8\nQ:3/8=120\nR:jig\nK:G\n"
    "D|:GAB c2d|e3 d2B|1 A3 A2D:|2 A3 A2B||\n"
    "|:c2e d2B|G3 G3:|\n"
)
B_FIRST = (9, 3)  # where B's first note is written
HORNPIPE = (
    "X:1\nT:Swung\nR:hornpipe\nM:4/4\nL:1/8\nQ:1/4=120\nK:D\n"
    "FAdA FAdA|GBdB GBdB|FAdA FAdA|GBdB GBdB|]\n"
)


@pytest.fixture
def players() -> list[Player]:
    return []


@pytest.fixture
def window(make_window, players):
    def make_player(soundfont: str, device: str) -> Player:
        players.append(Player(soundfont or None, stream_factory=SimulatedOutputStream))
        return players[-1]

    return make_window(dataclasses.replace(CoreServices(), make_player=make_player))


def _show(qtbot, window, text: str) -> None:
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(text)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)


def _onset(window, where: tuple[int, int]) -> float:
    result = window.score.result
    return min(e.on_ms for e in result.timemap if result.positions.get(e.id) == where)


def _element(window, where: tuple[int, int]) -> str:
    return next(eid for eid, pos in window.score.result.positions.items() if pos == where)


@pytest.mark.slow
def test_loop_part_b_loops_exactly_b_and_shows_it_in_both_views(qtbot, window, players) -> None:
    _show(qtbot, window, JIG)
    transport = window.transport
    assert [transport.part_combo.itemText(i) for i in range(transport.part_combo.count())] == [
        "Loop part…",
        "Part A (3 bars, twice)",
        "Part B (2 bars, twice)",
    ]
    assert [a.text() for a in window.loop_part_menu.actions()] == [
        "Part A (3 bars, twice)",
        "Part B (2 bars, twice)",
    ]
    transport.part_combo.setCurrentIndex(2)
    b_start = _onset(window, B_FIRST)
    start, end = window.playback.loop
    assert start == pytest.approx(b_start)
    assert end == pytest.approx(b_start + 4000.0, abs=1.0)  # twice its two bars
    assert transport.loop_button.isChecked()
    # The editor tints B's bars (line 9), not A's; the score tints one band behind them.
    first, last = window.editor.loop_range
    doc = window.editor.document()
    assert doc.findBlock(first).blockNumber() + 1 == 9
    assert doc.findBlock(last - 1).blockNumber() + 1 == 9
    assert len(window.score_view.loop_bands) == 1
    band = window.score_view.loop_bands[0].rect()
    a_note = window.score_view.element_rect(_element(window, (8, 4)))
    b_note = window.score_view.element_rect(_element(window, B_FIRST))
    assert band.contains(b_note.center()) and not band.contains(a_note.center())
    shot = os.environ.get("COMPOSEIUM_SCREENSHOT_DIR", "/tmp")
    window.grab().save(os.path.join(shot, "composeium-loop-part-b.png"))

    transport.tempo_spin.setValue(300)  # 2.5 times as fast: one pass of B takes 1.6 s
    positions: list[float] = []
    window.playback.adapter.position_changed.connect(lambda p: positions.append(p.ms))
    transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    player = players[0]
    qtbot.waitUntil(lambda: player.passes >= 1, timeout=20_000)
    window.transport.stop_button.click()
    link = window.playback.link
    assert player.loop == pytest.approx((link.to_player(start), link.to_player(end)), abs=1.0)
    heard = [link.to_score(ms) for ms in positions]
    assert min(heard) >= start - 1.0 and max(heard) <= end + 1.0

    # An edit that lengthens A by a bar moves B (two seconds later: A plays twice): the loop
    # follows the part, not the old times.
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(JIG.replace("D|:GAB c2d|", "D|:GAB c2d|GAB c2d|"))
    moved = _onset(window, (9, 3))
    assert moved == pytest.approx(b_start + 2000.0, abs=1.0)
    assert window.playback.loop == pytest.approx((moved, moved + 4000.0), abs=1.0)
    assert transport.part_combo.currentIndex() == 2

    transport.part_combo.setCurrentIndex(0)  # "Loop part…": no loop any more
    assert window.playback.loop is None and not transport.loop_button.isChecked()
    assert window.editor.loop_range is None and window.score_view.loop_bands == []


@pytest.mark.slow
def test_play_from_the_cursor_and_from_a_clicked_note(qtbot, window, players) -> None:
    _show(qtbot, window, JIG)
    b_start = _onset(window, B_FIRST)
    window.editor.move_cursor_to(9, 1)  # on the |: before B: the next note is B's first
    window.play_from_cursor_action.trigger()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    player = players[0]
    link = window.playback.link
    at = player.position().ms
    assert link.to_player(b_start) - 1.0 <= at < link.to_player(b_start) + 500.0
    window.transport.stop_button.click()

    # Stopped, a click on a note of the A part's second bar sets where Play starts.
    target = _element(window, (8, 12))  # the e3 of A's second bar, first heard at 1 s + pickup
    view = window.score_view
    centre = view.mapFromScene(view.element_rect(target).center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert window.editor.cursor_line_column() == (8, 12)
    assert window.transport.position_slider.value() == int(_onset(window, (8, 12)))
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: player.playing, timeout=10_000)
    assert player.position().ms >= link.to_player(_onset(window, (8, 12))) - 1.0
    assert player.position().ms < link.to_player(_onset(window, (8, 12))) + 500.0

    # Paused, a click jumps there and it stays paused; a double click plays from the note.
    window.transport.play_button.click()
    assert window.playback.paused
    b_note = _element(window, B_FIRST)
    centre = view.mapFromScene(view.element_rect(b_note).center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert player.position().ms == pytest.approx(link.to_player(b_start), abs=1.0)
    assert window.playback.paused and not player.playing
    window.transport.stop_button.click()
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: player.playing, timeout=10_000)
    assert link.to_player(b_start) - 1.0 <= player.position().ms < link.to_player(b_start) + 500.0
    window.transport.stop_button.click()


@pytest.mark.slow
def test_shift_click_in_the_score_selects_bars_to_loop(qtbot, window) -> None:
    _show(qtbot, window, JIG)
    view = window.score_view
    for where, modifier in (
        ((8, 4), Qt.KeyboardModifier.NoModifier),
        ((8, 17), Qt.KeyboardModifier.ShiftModifier),
    ):
        centre = view.mapFromScene(view.element_rect(_element(window, where)).center())
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, centre)
    window.transport.loop_selection_button.click()
    start, end = window.playback.loop
    assert start == pytest.approx(_onset(window, (8, 4)))  # G, the first bar after the pickup
    result = window.score.result
    b_of_bar_2 = min(e.off_ms for e in result.timemap if result.positions.get(e.id) == (8, 17))
    assert end == pytest.approx(b_of_bar_2)  # to the end of the clicked B: two bars
    assert end - start == pytest.approx(2000.0, abs=1.0)
    assert len(view.loop_bands) == 1


@pytest.mark.slow
def test_tempo_counts_q_s_beat_in_form_q_and_transport(qtbot, window, players) -> None:
    _show(qtbot, window, JIG)
    transport = window.transport
    assert transport.tempo_spin.value() == 120  # Q:3/8=120, not 180 quarters
    assert transport.tempo_spin.prefix() == "\u2669.="
    assert transport.quarter_bpm() == pytest.approx(180.0)
    assert "dotted quarter" in transport.tempo_spin.toolTip()
    # The total time follows the tune (pickup + 10 bars of 1 s) and the tempo.
    assert transport.time_label.text() == "0:00 / 0:10"
    transport.tempo_spin.setValue(60)
    assert transport.time_label.text() == "0:00 / 0:20"
    window.panel.meter_combo.setCurrentText("6/8")
    assert window.panel.tempo_spin.prefix() == "\u2669.="
    transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    assert players[0].tempo == pytest.approx(90.0)  # 60 dotted quarters = 90 quarters
    transport.tempo_spin.setValue(120)
    assert players[0].tempo == pytest.approx(180.0)
    transport.stop_button.click()
    _show(qtbot, window, JIG.replace("Q:3/8=120", "Q:1/4=100").replace("M:6/8", "M:2/4"))
    assert transport.tempo_spin.value() == 100 and transport.tempo_spin.prefix() == "\u2669="


@pytest.mark.slow
def test_the_score_cursor_follows_swung_notes_on_time(qtbot, window, players) -> None:
    _show(qtbot, window, HORNPIPE)
    window.transport.play_button.click()  # a hornpipe swings 2:1 by its genre
    qtbot.waitUntil(lambda: window.playback.playing, timeout=60_000)
    midi = players[0]._midi
    window.transport.stop_button.click()
    score = window.score.result.timemap
    assert midi.swing_ratio == pytest.approx(2.0)
    checked = 0
    for index in range(1, 8, 2):  # the off-beat eighths of the first bar
        off_beat = midi.timemap[index].on_ms
        # Just before the swung off-beat the long note before it still sounds ...
        assert window.playback.score_element_at(off_beat - 20.0) == score[index - 1].id
        # ... and at the off-beat the cursor moves on to it.
        assert window.playback.score_element_at(off_beat + 1.0) == score[index].id
        checked += 1
    assert checked == 4


@pytest.mark.slow
def test_a_drag_over_bars_in_the_score_moves_the_loop_there(qtbot, window) -> None:
    _show(qtbot, window, JIG)
    window.transport.loop_button.setChecked(True)  # looping the whole tune
    view = window.score_view
    first = view.element_rect(_element(window, (8, 4)))  # G, bar 1
    last = view.element_rect(_element(window, (8, 17)))  # B, the end of bar 2
    top = min(first.top(), last.top()) - 25.0
    bottom = max(first.bottom(), last.bottom()) + 25.0
    start = view.mapFromScene(first.left() - 2.0, top)
    end = view.mapFromScene(last.right() + 2.0, bottom)
    assert view.element_at(view.mapToScene(start)) is None  # the drag starts off the notes
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(view.viewport(), start + (end - start) * step / 5)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    result = window.score.result
    b_off = min(e.off_ms for e in result.timemap if result.positions.get(e.id) == (8, 17))
    assert window.playback.loop == pytest.approx((_onset(window, (8, 4)), b_off))
    assert len(view.loop_bands) == 1
