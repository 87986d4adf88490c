"""Syntax hazards: which pieces would make a body unreadable where they stand, judged by the lexer."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop.core.abcnotation import ABCError, lex
from composeium_desktop.core.features.syntax_hazards import HazardTable, context_tail, is_hazard

# Pieces like the shipped vocabulary's: lengths, notes with lengths, bar lines, groups.
PIECES = ["", "d/", "3/d/", "3/", "}", "{g}", "'", " ", "^", "c", "A2", "|", "|1", "]", "[ce"]
PIECES += ["/>f/", "2", ",", ":|", '"', '"4"', "e'"]


def _ids(*pieces: str) -> list[int]:
    return [PIECES.index(p) for p in pieces]


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("f3/d/", "3/d/"),  # a length after a length: "d/3/d/"
        ("A3/", "3/"),
        ("d'3/4", "'"),  # an octave mark after the length
        ("({G}C", "}"),  # no grace group is open
        ("[c'a", "}"),  # a chord is open, not a grace group
        ("E/ ", "/>f/"),  # a length after a space
        ("A)", "2"),  # a length after a slur's end
        ("b^", " "),  # an accidental needs its note
        ("A {g}", "2"),  # grace notes take no length after the group
    ],
)
def test_pieces_no_continuation_can_save_are_hazards(text: str, piece: str) -> None:
    assert is_hazard(context_tail(text), piece)
    with pytest.raises(ABCError):
        lex(text + piece + "A|")


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("f", "3/d/"),  # the length of a note
        ("A3", "3/"),  # "A33/" is an odd but readable length
        ("d'", "'"),  # a second octave mark
        ("{g", "}"),  # closes the open grace group
        ("[ce", "]"),  # closes the open chord
        ("A", ","),
        ("|", "1"),  # an ending after a bar line
        ("A ", "^"),  # the accidental's note may come next
        ("A ", '"'),  # so may the quoted text's end
        ("(", "3"),  # a tuplet
        ("A2 ", "|"),
        ("A [ce]", "2"),  # a chord's length
        ("A [ce]2", "/"),
    ],
)
def test_pieces_that_stay_readable_are_not_hazards(text: str, piece: str) -> None:
    assert not is_hazard(context_tail(text), piece)


def test_the_tail_keeps_what_decides_the_next_piece() -> None:
    # The last two tokens, note letters as A; an open group from its opening bracket.
    assert context_tail("abc d3/") == " A3/"
    assert context_tail("GAB|c2 {ga") == "{AA"
    assert context_tail("GAB [ceg") == "[AAA"
    assert context_tail("c2 {g}A") == "{A}A"  # "}A" alone is not readable: the group goes whole
    assert context_tail("c2 [ce]") == "[AA]"  # a closed chord goes whole
    assert context_tail("c2 [ce]2 A") == " A"
    # The same verdicts whatever the letters: one cache entry serves them all.
    table = HazardTable(PIECES)
    assert table.row("f3/d/") == table.row("G3/B/")
    assert table.row("f3/d/") != table.row("f3")


def test_codes_mark_each_target_and_never_the_tunes_own_pieces() -> None:
    table = HazardTable(PIECES)
    ids = _ids("c", "3/", "d/", "|", "{g}", "c", "A2", ":|")
    codes = table.codes(ids)
    assert codes.shape == (len(ids) + 1,) and codes.dtype == np.int32
    assert codes[-1] == 0  # the end token
    text = ""
    for position, index in enumerate(ids):
        forbidden = table.rows[codes[position]]
        assert index not in forbidden
        if position:  # after any of these, some pieces are hazards ("}" is, everywhere here)
            assert PIECES.index("}") in forbidden
        text += PIECES[index]
    lex(text)
    # After "d/" a piece starting with a length is forbidden; after "c" it is the note's length.
    assert PIECES.index("3/d/") in table.rows[codes[3]]
    assert PIECES.index("3/d/") not in table.rows[codes[1]]
    assert table.codes(ids, end=False).shape == (len(ids),)


def test_codes_stop_where_the_text_becomes_unreadable() -> None:
    table = HazardTable(PIECES)
    ids = _ids("c", "d/", "3/d/", "c", "A2")  # "cd/3/d/cA2": unreadable from the third piece
    codes = table.codes(ids)
    assert codes[1] != 0
    assert not codes[2:].any()


def test_matrix_has_a_one_for_each_forbidden_piece() -> None:
    table = HazardTable(PIECES)
    table.codes(_ids("c", "3/", "d/", "|", "{g}", "c"))
    matrix = table.matrix(len(PIECES))
    assert matrix.shape == (len(table.rows), len(PIECES))
    assert not matrix[0].any()
    for row, ids in enumerate(table.rows):
        assert sorted(np.flatnonzero(matrix[row]).tolist()) == sorted(ids)
    assert not matrix[:, PIECES.index("")].any()  # empty pieces (pad, bos, eos) never
