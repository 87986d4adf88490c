"""What real tune books write beyond ABC 2.1: read by the lexer, warned about by validate."""

from __future__ import annotations

from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import (
    ABCError,
    bar_lengths,
    lex,
    normalise_body,
    parse_tune,
    split_tunebook,
    validate,
)

HEADER = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\n"


def _kinds(body: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in lex(body) if t.kind not in ("space", "newline")]


def test_spacers_with_a_width_and_inline_part_fields() -> None:
    assert _kinds("[P:A]y0|:AB y2 c|") == [
        ("field", "[P:A]"),
        ("misc", "y0"),
        ("bar", "|:"),
        ("note", "A"),
        ("note", "B"),
        ("misc", "y2"),
        ("note", "c"),
        ("bar", "|"),
    ]


def test_abc20_line_breaks_after_bar_lines() -> None:
    tokens = _kinds("G2|!fed c2B|ABA A2g|!f2e2 z2|\n")
    assert ("misc", "!") in tokens and tokens.count(("misc", "!")) == 2
    with pytest.raises(ABCError, match="unclosed decoration"):
        lex("A !trill B")  # after a note it is still an unclosed decoration


def test_quoted_printable_residue() -> None:
    long_line = "(DF)(AF) (BF).A.c | (fa).A.c (3efg (3fga (3gab (3abc' =\n(ed).d2 |=20\n"
    assert [t.text for t in lex(long_line) if t.kind == "misc"] == ["=", "=20"]
    note = next(t for t in lex("f|=3Dg|") if t.text.endswith("g"))
    assert note.data == ("=", "g", "")
    with pytest.raises(ABCError, match="accidental without a note"):
        lex("A =\nB")  # a short line: an accidental cut from its note, not e-mail


def test_hard_wrapped_notes_and_chords_continue_on_the_next_line() -> None:
    tokens = lex("dc/d\n/ ed/e/|[f3a\n3] [df]|\n")
    d = next(t for t in tokens if t.text.startswith("d\n"))
    assert d.length == Fraction(1, 2) and (d.line, d.col) == (1, 4)
    e = next(t for t in tokens if t.text == "e" and t.line == 2)
    assert e.col == 3  # positions after the wrap are on the next line
    chord_lengths = [t.length for t in tokens if t.kind == "note" and t.data[1] == "a"]
    assert chord_lengths == [Fraction(3)]
    with pytest.raises(ABCError, match="unclosed chord"):
        lex("ABC|[CE\nabc|\n")  # the next line does not close it: an unclosed chord


def test_bar_lines_that_continue_on_the_next_line() -> None:
    tokens = _kinds("d2 d2|\n: a2 ag|\nK:D\n: f2fd|\nGAB:|\n2BGG G3|]\n")
    assert tokens.count(("bar", ":")) == 2
    assert ("ending", "2") in tokens
    with pytest.raises(ABCError, match="stray ':'"):
        lex("AB:C")


def test_other_end_marks_abc2abc_reads() -> None:
    assert _kinds('FDD2:"^Segno"[|]|]\n')[3:] == [
        ("bar", ":"),
        ("annot", '"^Segno"'),
        ("bar", "[|]"),
        ("bar", "|]"),
    ]
    assert _kinds("a2=ge:[|]|]\n")[-2:] == [("bar", ":[|]"), ("bar", "|]")]
    assert _kinds("BAG A2 :]\n")[-1] == ("bar", ":]")
    assert _kinds("G3 G2 |]*\n")[-1] == ("misc", "*")
    assert _kinds("|}vdD|")[1] == ("misc", "}")


def test_text_lines_inside_a_header_end_at_its_key_line() -> None:
    text = "X:1\nT:Rural Felicity\nM:6/8\nL:1/8\n3/8=120\nI: :: ::\nK:D\nded A2G|\n"
    tune = parse_tune(text)
    assert tune.key == "D" and tune.body == "ded A2G|\n" and tune.body_line == 8
    marks = validate(text)
    assert [(m.line, m.severity) for m in marks] == [(5, "warning")]
    assert "text line inside the header" in marks[0].message


def test_validate_warns_on_every_tolerance_and_reports_no_error() -> None:
    body = "G2|!fed c2B|ABA A2g|\n"
    marks = validate(HEADER + body)
    assert [m.severity for m in marks if "line break" in m.message] == ["warning"]
    assert not [m for m in marks if m.severity == "error"]


def test_a_key_the_core_cannot_read_is_an_error() -> None:
    marks = validate("X:1\nT:t\nM:4/4\nL:1/8\nK:H\nabcd efga|\n")
    assert [(m.line, m.column, m.severity) for m in marks] == [(5, 3, "error")]


def test_normalised_bodies_of_tolerated_text_still_lex_with_the_same_bars() -> None:
    body = "d2 d2 d4|\n: a2 ag a4|\nf|=3Dg2 a4 b|\n"
    tune = split_tunebook(HEADER + body)[0]
    normal = normalise_body(tune)
    lex(normal)
    before = [(b.length, b.expected) for b in bar_lengths(tune.body, tune.meter, tune.unit)]
    after = [(b.length, b.expected) for b in bar_lengths(normal, tune.meter, "1/8")]
    assert before == after
