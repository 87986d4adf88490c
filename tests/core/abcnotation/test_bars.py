"""Bar lengths (whole bodies) and the incremental BarTracker."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import ABCError, BarTracker, bar_errors, bar_lengths

F = Fraction


def lengths(body: str, meter: str = "4/4", unit: str | None = "1/8") -> list[Fraction]:
    return [b.length for b in bar_lengths(body, meter, unit)]


@pytest.mark.parametrize(
    ("body", "meter", "unit", "expected"),
    [
        ("ABcd efga|", "4/4", "1/8", [F(1)]),
        ("A2 B/c/ d4|", "4/4", "1/8", [F(7, 8)]),
        ("A>B c<d e>>f g<<a|", "4/4", "1/8", [F(1)]),
        ("(3ABc d2|(3:2:3ABc d2|", "2/4", "1/8", [F(1, 2), F(1, 2)]),
        ("(2AB|", "3/8", "1/8", [F(3, 8)]),  # (2 = 2 in the time of 3
        ("[CEG]2 [C2E2] [CE]/ z/ A|", "3/4", "1/8", [F(3, 4)]),  # a chord lasts as its first note
        ("{ga}A {/g}B2 c|", "4/4", "1/4", [F(1)]),  # grace notes take no time
        ("A4|[M:3/4]A3|[L:1/16]A4 B4 c4|", "4/4", "1/4", [F(1), F(3, 4), F(3, 4)]),
        ("A4|\nM:3/4\nA3|\nL:1/8\nA6|", "4/4", "1/4", [F(1), F(3, 4), F(3, 4)]),
        ("Z4|A8|", "4/4", "1/8", [F(4), F(1)]),
        ("A2-A2 z4|", "4/4", "1/8", [F(1)]),
        ("ABC\nDEF\n", "3/8", "1/8", [F(3, 8), F(3, 8)]),  # a line break ends a full bar
    ],
)
def test_bar_lengths(body: str, meter: str, unit: str, expected: list[Fraction]) -> None:
    assert lengths(body, meter, unit) == expected


def test_default_unit_from_meter() -> None:
    assert lengths("A4 B4|", "2/4", None) == [F(1, 2)]


def test_pickups_repeats_and_endings() -> None:
    body = "|:D|GAB c2d|e3 d2:|\n|:B|c2d e3|1 d3 c2:|2 d3 B2|]\n"
    bars = bar_lengths(body, "6/8", "1/8")
    assert [b.length for b in bars] == [
        F(1, 8),
        F(3, 4),
        F(5, 8),
        F(1, 8),
        F(3, 4),
        F(5, 8),
        F(5, 8),
    ]
    assert [b.is_pickup for b in bars] == [True, False, False, True, False, False, False]
    assert [b.is_section_end for b in bars] == [False, False, True, False, False, True, True]
    assert (bars[1].line, bars[1].col, bars[1].end_col) == (1, 5, 12)
    assert bar_errors(body, "6/8", "1/8") == []


def test_bar_errors() -> None:
    body = "D|GAB c2d|e3 d2|GAB c2d e|d6|]"
    errors = bar_errors(body, "6/8", "1/8")
    assert [(b.index, b.length, b.expected) for b in errors] == [
        (2, F(5, 8), F(3, 4)),
        (3, F(7, 8), F(3, 4)),
    ]
    assert errors[0].col == 11
    assert bar_errors("ABC|ABCDEF|", "none", "1/8") == []  # free meter


def test_bar_lengths_raises_abc_errors() -> None:
    with pytest.raises(ABCError):
        bar_lengths("A [CE", "4/4", "1/8")


# --- BarTracker ----------------------------------------------------------------------------


def test_tracker_follows_pieces_cut_anywhere() -> None:
    t = BarTracker.start("6/8", "1/8")
    t = t.feed("|:").feed("D").feed("|")
    assert t.bar_elapsed == 0 and t.bars_completed == 1
    t = t.feed("GA").feed("B c").feed("2")
    assert t.bar_elapsed == F(5, 8) and t.pending == "c2"
    t = t.feed('"A')
    assert t.open_constructs == ("quote",)
    assert not t.bar_line_legal()
    t = t.feed('m7"d')
    assert t.open_constructs == () and t.bar_elapsed == F(3, 4)
    assert t.bar_line_legal("|") and t.bar_remaining == 0


def test_tracker_open_constructs() -> None:
    t = BarTracker.start("4/4", "1/8")
    assert t.feed("(A (3B").open_constructs == ("slur", "tuplet")
    assert t.feed("[CE").open_constructs == ("chord",)
    assert t.feed("{g").open_constructs == ("grace",)
    assert t.feed("!tri").open_constructs == ("decoration",)
    assert t.feed("[K:").open_constructs == ("field",)
    assert t.feed("^").open_constructs == ("accidental",)
    assert t.feed("A2 ").open_constructs == ()


def test_tracker_strict_bar_checks() -> None:
    t = BarTracker.start("4/4", "1/8").feed("D|")  # a pickup is fine
    t = t.feed("ABcd ")
    assert not t.bar_line_legal("|")
    assert t.bar_line_legal(":|")  # a short bar may end a section
    assert not t.can_feed("| ")
    assert t.can_feed("|")  # it may still become "||"
    assert t.feed("|").can_feed("|") and not t.feed("|").can_feed("A")
    assert t.can_feed("efga|")
    assert not t.can_feed("efgab")  # too long
    assert not t.can_feed("e8 ")
    assert t.can_feed("e8")  # it may still become e8/4
    assert not t.feed("efga").can_feed("b")  # the bar is full: no note fits
    assert t.can_feed("e4 ")
    with pytest.raises(ABCError) as info:
        t.feed("e| ")
    assert (info.value.line, info.value.column) == (1, 9)
    loose = BarTracker.start("4/4", "1/8", strict=False)
    assert loose.feed("D|ABc|").bar_elapsed == 0


def test_tracker_tuplets_chords_meter_changes() -> None:
    t = BarTracker.start("2/4", "1/8").feed("(3AB")
    assert not t.bar_line_legal()
    t = t.feed("c d>e|")
    assert t.bar_elapsed == 0
    t = t.feed("[CE]2 [M:3/4]")
    assert t.bar_expected == F(1, 2)  # the change applies from the next bar
    t = t.feed("A2|")
    assert t.bar_expected == F(3, 4)
    assert t.feed("[L:1/4]A3|").bar_elapsed == 0


def test_tracker_inline_field_fed_letter_by_letter() -> None:
    t = BarTracker.start("4/4", "1/8").feed("AB ")
    for piece in "[M:3/4]":
        t = t.feed(piece)
    assert t.open_constructs == () and t.pending == ""
    t = BarTracker.start("4/4", "1/8").feed("AB % see [K").feed("\n")
    assert t.pending == "" and t.line == 2


def test_tracker_line_breaks_and_fields() -> None:
    t = BarTracker.start("3/4", "1/8").feed("ABc def\n")
    assert t.bar_elapsed == 0 and t.bars_completed == 1
    t = t.feed("K:D\nM:6/8\n").feed("A")
    assert t.bar_expected == F(3, 4) and t.bar_elapsed == F(1, 8)
    assert t.feed("B c").line == 4


def test_tracker_finish_and_can_end() -> None:
    t = BarTracker.start("4/4", "1/8").feed("ABcd efga|ABc")
    assert t.can_end()  # a short last bar ends the tune
    assert not t.feed("[CE").can_end()
    with pytest.raises(ABCError):
        t.feed("[CE").finish()
    assert t.finish().pending == ""


def test_tracker_agrees_with_bar_lengths_on_a_tune_fed_in_random_pieces() -> None:
    body = '|:"G"D|G>AB c2d|(3efg d2 B>c|{c}d2 [Bd]2 z2:|\n|:B|c2e B>cd|\nM:2/4\nA4|[L:1/16]G8|]\n'
    rng = random.Random(3)
    t = BarTracker.start("6/8", "1/8", strict=False)
    position = 0
    while position < len(body):
        step = rng.randint(1, 4)
        t = t.feed(body[position : position + step])
        position += step
    whole = bar_lengths(body, "6/8", "1/8")
    assert t.finish().bars_completed == len(whole)


def test_tracker_raises_only_abc_errors_on_random_text() -> None:
    rng = random.Random(2)
    alphabet = "ABCabcz|:[]{}()<>-^_=,'/23\"!.~ \nK:"
    for _ in range(2000):
        t = BarTracker.start("4/4", "1/8", strict=rng.random() < 0.5)
        try:
            for _ in range(5):
                t = t.feed("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))))
            t.finish()
        except ABCError:
            pass


@pytest.mark.parametrize("strict", [False, True])
def test_feeding_in_pieces_equals_feeding_at_once(strict: bool) -> None:
    rng = random.Random(13)
    alphabet = "ABCabcz|:[]{}()<>-^_=,'/23\"!.~ \nK:LM&y+%\\"
    for _ in range(4000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        outcomes = []
        for pieces in ([body], _cut(body, rng)):
            tracker = BarTracker.start("4/4", "1/8", strict=strict)
            try:
                for piece in pieces:
                    tracker = tracker.feed(piece)
                done = tracker.finish()
            except ABCError:
                outcomes.append(None)
                continue
            outcomes.append((done.bars_completed, done.bar_elapsed, done.line, done.col))
        assert outcomes[0] == outcomes[1], body


def _cut(text: str, rng: random.Random) -> list[str]:
    pieces, position = [], 0
    while position < len(text):
        step = rng.randint(1, 4)
        pieces.append(text[position : position + step])
        position += step
    return pieces
