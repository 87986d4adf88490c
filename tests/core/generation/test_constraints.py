"""The incremental ABC body state: what it accepts, what it rejects, and that it agrees with the
notation core's own lexer and bar lengths."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop.core.abcnotation import lex
from composeium_desktop.core.abcnotation.bars import bar_errors
from composeium_desktop.core.generation.bar_state import bar_units
from composeium_desktop.core.generation.constraints import BodyState
from composeium_desktop.core.generation.piece_table import PieceTable, complete_bar_line


def accepts(meter: str, text: str) -> bool:
    return BodyState(meter).feed(text)


def ends(meter: str, text: str) -> bool:
    state = BodyState(meter)
    return state.feed(text) and state.can_end()


VALID_TUNES = [
    ("6/8", "|:GAB c2d|e2f g2a:|\n|:b2a g2f|e2d c3:|"),
    ("6/8", "D|GAB c2d|e2f g2a|b2a gfe|d3 c2:|"),
    ("4/4", 'A>B c2 (3ABc d2|[CEG]4 "Am"A2 {g}A2|]'),
    ("3/4", "A2 B2 c2|d6|[1 e6:|[2 f6|]"),
    ("3/4", "A2 B2 c2|d6|1 e6:|2 f6|]"),
    ("2/4", "A/B/c/d/ e2|^f2 =g2|_a2 b2|]"),
    ("9/8", "ABc ABc ABc|]"),
    ("12/8", "ABc ABc ABc ABc|]"),
    ("3/8", "ABc|d3|]"),
    ("2/2", "A2B2 c2d2|]"),
    ("4/4", "A8||"),
    ("4/4", "(AB c2) d4|e8|]"),
    ("4/4", "A4-A4|A2>B2 c4|]"),
    ("3/4", "~A2 .B2 c'2|d,6|]"),
    ("3/4", '"F#m7"A2 "G/B"B2 "Bb"c2|d6|]'),
]


@pytest.mark.parametrize(("meter", "body"), VALID_TUNES)
def test_valid_bodies_accepted_and_agree_with_notation_core(meter: str, body: str) -> None:
    assert ends(meter, body)
    lex(body)
    assert bar_errors(body, meter, "1/8") == []


@pytest.mark.parametrize(
    ("meter", "text", "why"),
    [
        ("6/8", "D|GAB c2d|e2f g2a|b2a gfe|d3 c2 B2:|", "bar overflows the meter"),
        ("4/4", 'A>B c2 (3ABc d2|[CEG]4 "Am"A2 {g}A3|]', "bar too long"),
        ("2/4", "A4 B|", "note overflows"),
        ("2/4", "A2|B|c2|", "short bar in the middle"),
        ("2/4", "(AB c2|)", "slur open at a bar line"),
        ("2/4", "A2 B2|\n\nc", "blank line ends a tune"),
        ("2/4", "A2\nB2|", "line break inside a bar"),
        ("4/4", "A9|", "note longer than a bar"),
        ("4/4", "[CEG", "chord open at a bar line, incomplete"),
        ("4/4", "[CEG|", "chord open at a bar line"),
        ("4/4", 'A2 "Am|', "quote open at a bar line"),
        ("4/4", "(3AB|", "tuplet open at a bar line"),
        ("4/4", "A2>|", "broken rhythm before a bar line"),
        ("4/4", "A2 K:G", "header field in the body"),
        ("4/4", "A2 %comment", "comments are not generated"),
        ("4/4", "A8|:|", "empty bar"),
        ("4/4", '"c\'<c (d<c)"A', "notes inside a quote"),
        ("4/4", '"gr"A', "a quote that is not a chord symbol"),
        ("4/4", "A8|B8|]|]", "two final bar lines"),
        ("2/2", "||:[1^E^F2f|1e", "an ending before any bar (its short bar is no pickup)"),
    ],
)
def test_invalid_text_rejected(meter: str, text: str, why: str) -> None:
    state = BodyState(meter)
    assert not state.feed(text) or state.settled() is None, why


def test_pending_note_length_checked_late() -> None:
    state = BodyState("2/4")
    assert state.feed("A3")  # might still become A3/ ...
    assert state.clone().feed("/")
    assert state.feed("/B/ c2|")  # ... and does: 3/2 + 1/2 + 2 = 4 eighths
    assert state.settled().bars_done == 1


def test_pickup_and_completing_section_end() -> None:
    assert ends("6/8", "D|GAB c2d|e2f g2a|b2a gfe|d3 c2:|")
    # A short section end must complete the pickup (1 + 5 = 6).
    assert not accepts("6/8", "D|GAB c2d|e2f g2a|b2a gfe|d3 c:|")


def test_can_end_only_after_final_bar_line() -> None:
    assert not ends("4/4", "A8|")
    assert not ends("4/4", "A8|B4")
    assert ends("4/4", "A8|]")
    assert ends("4/4", "|:A8:|")


def test_final_bar_line_needs_min_bars() -> None:
    state = BodyState("4/4")
    state.min_bars = 3
    assert not state.clone().feed("A8|B8|]")
    assert state.clone().feed("A8|B8|C8|]")
    assert state.clone().feed("A8|B8:|")


def test_finishing_allows_only_final_bar_lines() -> None:
    state = BodyState("4/4")
    assert state.feed("A8|B4")
    state.finishing = True
    assert not state.clone().feed("B4|C")
    assert state.clone().feed("B4|]")


def test_clone_is_independent() -> None:
    state = BodyState("3/4")
    assert state.feed("A2")
    other = state.clone()
    assert other.feed("B2 c2| ")
    assert state.bars_done == 0
    assert other.bars_done == 1


def test_bar_units() -> None:
    assert bar_units("6/8") == 6
    assert bar_units("C") == 8
    assert bar_units("C|") == 8
    assert bar_units("3/2") == 12
    assert bar_units("3/8") == 3


def test_complete_bar_line() -> None:
    assert complete_bar_line("A8|B8|") == "A8|B8|]"
    assert complete_bar_line("A8|B8:|") == "A8|B8:|"
    assert complete_bar_line("A8|B8::") == "A8|B8:|"
    assert complete_bar_line("A8|B8||") == "A8|B8|]"
    assert complete_bar_line("A8|B8:||\n") == "A8|B8:|"


def test_piece_table_mask_matches_brute_force() -> None:
    pieces = ["", "A", "B2", "|", "|]", "A2B", ":|", "]", "[", "(3", ">", "z", "\n", "%", "2", "/"]
    table = PieceTable(pieces, special_ids=[0])
    for text in ["", "A2B", "A>", "(3", "A4 B3|", "A4 B3|B", "[C", "A8"]:
        state = BodyState("4/4")
        assert state.feed(text)
        expected = np.array(
            [bool(table.usable[i]) and state.clone().feed(p) for i, p in enumerate(pieces)]
        )
        np.testing.assert_array_equal(table.valid_mask(state), expected)
    assert not table.usable[pieces.index("%")]


def test_random_piece_walks_stay_valid() -> None:
    """Feeding random accepted pieces from a small vocabulary never produces text that the
    notation core rejects, and ending where can_end() allows gives correct bar lengths."""
    pieces = ["A", "B2", "c/", "d//", "e3", " ", "|", "|]", ":|", "|:", "(3", "(", ")", ">",
              "[CE]", '"Am"', "{g}", "-", "^f", "z2", "\n", "2", "3", "4", "/", ":", "G,", "a'"]  # fmt: skip
    table = PieceTable(pieces, special_ids=[])
    rng = np.random.default_rng(0)
    for meter in ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2", "3/8"):
        for _ in range(8):
            state, text = BodyState(meter), ""
            for _ in range(300):
                if state.bars_done >= 3 and state.can_end():
                    break
                if len(text) > 150:
                    state.finishing = True
                mask = table.valid_mask(state)
                assert mask.any(), (meter, text)
                token = int(rng.choice(np.flatnonzero(mask)))
                state = table.accepts(state, token)
                text += pieces[token]
            if state.can_end():
                lex(text)
                assert bar_errors(text, meter, "1/8") == [], (meter, text)


def test_quoted_text_can_be_turned_off_and_clones_keep_the_setting() -> None:
    state = BodyState("4/4")
    assert state.clone().feed('"Am"A2')
    state.quotes_allowed = False
    assert not state.clone().feed('"Am"A2')
    assert state.clone().feed("A2")
    assert not state.clone().clone().feed('"')
