"""The body lexer: every construct, and for each a malformed input with its line and column."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import ABCError, lex, parse_length


def kinds(body: str) -> list[str]:
    return [t.kind for t in lex(body) if t.kind != "space"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("^A ^^B _c __d =e", ["note"] * 5),
        ("C, c' c'' C,,", ["note"] * 4),
        ("A2 A/2 A/ A// A3/2 A3/", ["note"] * 6),
        ("z2 x Z4 X", ["rest", "rest", "mrest", "mrest"]),
        ("| || |] [| |: :| :: [|] .| ::| |::", ["bar"] * 11),
        ("|1 A :|2 B |[1 C", ["bar", "note", "bar", "note", "bar", "note"]),
        ("[1 A :| [2 B |]", ["ending", "note", "bar", "ending", "note", "bar"]),
        ("A>B C<D E>>F G<<A", ["note", "broken", "note"] * 4),
        (
            "(3ABC (3:2:3DEF (5abcde",
            ["tuplet"] + ["note"] * 3 + ["tuplet"] + ["note"] * 3 + ["tuplet"] + ["note"] * 5,
        ),
        ("A-A", ["note", "tie", "note"]),
        ("(AB)", ["slur", "note", "note", "slurend"]),
        ("[CEG]2", ["chord", "note", "note", "note", "chordend"]),
        (
            "{g}A {/ag}B",
            ["grace", "note", "graceend", "note", "grace", "note", "note", "graceend", "note"],
        ),
        ("!trill!A +fermata+B .C ~D HE LF MG OA PB SC TD uE vF JG RA", ["deco", "note"] * 15),
        ('"G"A "Am7/G"B', ["symbol", "note", "symbol", "note"]),
        ('"^up"A "_down"B "<left"C ">right"D "@1,2 at"E', ["annot", "note"] * 5),
        ("[K:G] [M:3/4] [L:1/16] [Q:1/4=120] [P:A]A", ["field"] * 5 + ["note"]),
        ("A \\\nB", ["note", "cont", "newline", "note"]),
        ("A % comment\nB", ["note", "comment", "newline", "note"]),
        ("%%MIDI program 1\nA", ["comment", "newline", "note"]),
        (
            "AyB`C$D!\nE & F",
            [
                "note",
                "misc",
                "note",
                "misc",
                "note",
                "misc",
                "note",
                "misc",
                "newline",
                "note",
                "misc",
                "note",
            ],
        ),
        (
            "ABc\nw: words here\nW: more\nK:D\nM:3/4\nP:B\nd",
            ["note"] * 3 + ["newline", "fieldline"] * 5 + ["newline", "note"],
        ),
    ],
)
def test_constructs(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


def test_token_details() -> None:
    note = lex("^c'3/2")[0]
    assert (note.kind, note.length, note.data) == ("note", Fraction(3, 2), ("^", "c", "'"))
    bar = lex(":|2")[0]
    assert bar.data == (":|", "2")
    tuplet = lex("(3:2:4ABCD")[0]
    assert tuplet.data == (3, 2, 4)
    field = lex("[K: Em]")[0]
    assert field.data == ("K", "Em")
    chord_end = lex("[CE]3/")[-1]
    assert chord_end.length == Fraction(3, 2)
    assert lex("Z4")[0].data == 4
    assert lex('"^hi"')[0].data == "^hi"
    assert lex("!trill!")[0].data == "trill"


def test_positions_are_one_based_lines_and_columns() -> None:
    tokens = lex("AB |\n  c2 d", first_line=10)
    positions = [(t.text, t.line, t.col) for t in tokens if t.kind == "note"]
    assert positions == [("A", 10, 1), ("B", 10, 2), ("c2", 11, 3), ("d", 11, 6)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", 1),
        ("2", 2),
        ("/", Fraction(1, 2)),
        ("//", Fraction(1, 4)),
        ("/2", Fraction(1, 2)),
        ("3/2", Fraction(3, 2)),
        ("3/", Fraction(3, 2)),
    ],
)
def test_parse_length(text: str, value: Fraction) -> None:
    assert parse_length(text) == value


@pytest.mark.parametrize(
    ("body", "line", "col", "message"),
    [
        ("A B\n[CE", 2, 1, "unclosed chord"),
        ("[CE|]", 1, 1, "unclosed chord"),
        ("[[C]]", 1, 2, "cannot contain another chord"),
        ("[]", 1, 1, "empty chord"),
        ("A [!trill!] B", 1, 3, "empty chord"),
        ("A [K:Qfoo] B", 1, 3, "cannot read the key"),
        ("A [K:Gfoo] B", 1, 3, "unknown mode"),
        ("A\nM:waltz\nB", 2, 1, "cannot read the meter"),
        ("A [L:0] B", 1, 3, "unit length"),
        ('A\n B "C', 2, 4, "unclosed quote"),
        ("AB {g", 1, 4, "unclosed grace"),
        ("{g\n}", 1, 1, "unclosed grace"),
        ("AB}", 1, 3, "stray '}'"),
        ("A !trill B", 1, 3, "unclosed decoration"),
        ("+tri", 1, 1, "unclosed decoration"),
        ("A ^ B", 1, 3, "accidental without a note"),
        ("A =\nB", 1, 3, "accidental without a note"),
        ("A]", 1, 2, "stray ']'"),
        ("(1A", 1, 1, "bad tuplet"),
        ("AB (3", 1, 4, "tuplet needs notes"),
        ("AB (\n", 1, 4, "slur or tuplet needs notes"),
        ("A>>>>B", 1, 5, "bad broken rhythm"),
        ("A<><B", 1, 3, "bad broken rhythm"),
        ("A '", 1, 3, "unknown character"),
        ("z/0", 1, 2, "bad length"),
        ("AB (3:0ABC", 1, 4, "bad tuplet"),
        ("A # B", 1, 3, "unknown character '#'"),
        ("AB:C", 1, 3, "stray ':'"),
        ("[K:", 1, 1, "unclosed inline field"),
        ("A\nB [K:G B", 2, 3, "unclosed inline field"),
        ("A/0", 1, 2, "bad length"),
        ("A0", 1, 2, "bad length"),
        ("B A//2", 1, 4, "bad length"),
        ("[CE]/0", 1, 5, "bad length"),
        ("Z0", 1, 1, "multi-measure rest"),
        ("A \\ B", 1, 3, "backslash"),
    ],
)
def test_malformed_input_names_line_and_column(
    body: str, line: int, col: int, message: str
) -> None:
    with pytest.raises(ABCError) as info:
        lex(body)
    error = info.value
    assert (error.line, error.column) == (line, col)
    assert message in error.message
    assert str(error).startswith(f"line {line}, column {col}: ")


def test_random_text_raises_only_abc_errors() -> None:
    rng = random.Random(1)
    alphabet = "ABCDEFGabcdefgzxZ|:[]{}()<>-^_=,'/23\"!+.~%\\ \nK:M1yT&$`#"
    for _ in range(3000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
        try:
            lex(body)
        except ABCError as exc:
            assert exc.line >= 1 and exc.column >= 1
