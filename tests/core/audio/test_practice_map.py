"""Parts as loops, play from the cursor, and the score <-> player time link (swing included),
read from a real engraving and the real MIDI; the tempo in Q:'s unit."""

from __future__ import annotations

from fractions import Fraction

import pytest

from composeium_desktop.core.audio.lilt import Lilt
from composeium_desktop.core.audio.midi import abc_to_midi
from composeium_desktop.core.audio.practice_map import (
    TimeLink,
    element_from,
    loop_source_range,
    part_loops,
)
from composeium_desktop.core.audio.tempo import TempoBeat, meter_beat, tempo_beat
from composeium_desktop.core.render import Renderer, TimedElement

# A jig at 120 dotted quarters (a bar is 1 s): a pickup, an A part with first and second
# endings, a B part repeated. Performed: D | A A(1) | A A(2) | B B.
JIG = (
    "X:1\nT:Parts\nM:6/8\nL:1/8\nQ:3/8=120\nR:jig\nK:G\n"
    "D|:GAB c2d|e3 d2B|1 A3 A2D:|2 A3 A2B||\n"
    "|:c2e d2B|G3 G3:|\n"
)


@pytest.fixture(scope="module")
def engraved():
    with Renderer() as renderer:
        result = renderer.render(JIG)
        straight = abc_to_midi(JIG, renderer=renderer, lilt=Lilt(swing=0.0))
        swung = abc_to_midi(JIG, tempo=90.0, renderer=renderer, lilt=Lilt(swing=50.0))
    return result, straight, swung


def test_parts_loop_as_performed_with_both_endings(engraved) -> None:
    result, _, _ = engraved
    a, b = part_loops(JIG, result.timemap, result.positions)
    assert (a.label, b.label) == ("A", "B")
    assert a.repeated and b.repeated
    assert a.title == "Part A (3 bars, twice)"
    # A: from the pickup, twice through its bars (first ending, then second), up to B's first
    # note; B twice through its two bars to the end of the tune.
    b_first = min(e.on_ms for e in result.timemap if result.positions.get(e.id) == (9, 3))
    second_ending = min(e.on_ms for e in result.timemap if result.positions.get(e.id) == (8, 31))
    assert a.start_ms == pytest.approx(0.0)
    assert a.end_ms == pytest.approx(b_first)
    assert a.end_ms == pytest.approx(second_ending + 1000.0, abs=1.0)
    assert b.start_ms == pytest.approx(b_first)
    assert b.end_ms == pytest.approx(b_first + 4000.0, abs=1.0)
    assert a.first == (8, 1) and b.first[0] == 9


def test_a_tune_without_parts_gives_no_loop() -> None:
    assert part_loops("X:1\nT:x\nK:C\n", (), {}) == ()


def test_play_from_the_cursor_starts_with_the_note_at_or_after_it(engraved) -> None:
    result, _, _ = engraved
    at_c = element_from(result.positions, (8, 8))  # on the c of the first full bar
    assert result.positions[at_c] == (8, 8)
    after_space = element_from(result.positions, (8, 7))  # on the space before it
    assert after_space == at_c
    after_bar = element_from(result.positions, (8, 11))  # on the bar line before e3
    assert result.positions[after_bar] == (8, 12)
    assert element_from(result.positions, (99, 1)) is None


def test_a_loop_is_shown_from_its_first_note_to_the_next_written_after_it(engraved) -> None:
    result, _, _ = engraved
    _, b = part_loops(JIG, result.timemap, result.positions)
    first, after = loop_source_range(result.positions, result.timemap, b.start_ms, b.end_ms)
    assert first == (9, 3)
    assert after[0] == 9 and after[1] > 10


def test_time_link_lands_swung_off_beats_on_their_notes(engraved) -> None:
    result, straight, swung = engraved
    score = result.timemap
    link = TimeLink(score, swung.timemap, scale=result.tempo / swung.tempo)
    assert link.paired
    off_beats = 0
    for ours, theirs in zip(score, swung.timemap, strict=True):
        assert link.to_player(ours.on_ms) == pytest.approx(theirs.on_ms, abs=0.01)
        assert link.to_score(theirs.on_ms) == pytest.approx(ours.on_ms, abs=0.01)
        plain = ours.on_ms * result.tempo / swung.tempo
        off_beats += abs(plain - theirs.on_ms) > 20.0
    assert off_beats > 0  # the swing moved notes: a tempo scale alone would miss them
    # Straight at the tune's own tempo the link is the identity.
    same = TimeLink(score, straight.timemap, 1.0)
    assert same.to_player(1234.0) == pytest.approx(1234.0, abs=0.01)


def test_time_link_without_a_pairing_scales_by_tempo() -> None:
    link = TimeLink((TimedElement("a", 0.0, 500.0),), (), scale=0.5)
    assert not link.paired
    assert link.to_player(1000.0) == pytest.approx(500.0)
    assert link.to_score(500.0) == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("header", "beat", "symbol"),
    [
        ("M:6/8\nQ:3/8=120\n", Fraction(3, 8), "\u2669."),
        ("M:6/8\n", Fraction(3, 8), "\u2669."),
        ("M:4/4\nQ:1/4=100\n", Fraction(1, 4), "\u2669"),
        ("M:C|\nQ:1/2=90\n", Fraction(1, 2), "1/2"),
        ("M:6/8\nQ:120\n", Fraction(1, 4), "\u2669"),
        ('M:9/8\nQ:"Lively" 3 / 8 = 116\n', Fraction(3, 8), "\u2669."),
    ],
)
def test_the_tempo_counts_in_q_s_beat(header: str, beat: Fraction, symbol: str) -> None:
    found = tempo_beat(f"X:1\nT:t\n{header}K:D\nABc|\n")
    assert found.beat == beat
    assert found.symbol == symbol


def test_tempo_units_convert_to_quarters() -> None:
    jig = TempoBeat(Fraction(3, 8))
    assert jig.to_quarters(120) == pytest.approx(180.0)
    assert jig.from_quarters(180.0) == pytest.approx(120.0)
    assert meter_beat("2/2").beat == Fraction(1, 2)
    assert meter_beat("none").beat == Fraction(1, 4)
