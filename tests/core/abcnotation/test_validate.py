"""validate(): every problem of a tune book, positioned in the file, without raising."""

from __future__ import annotations

import random

from composeium_desktop.core.abcnotation import ABCError, validate

GOOD = "X:1\nT:Good\nM:6/8\nL:1/8\nK:D\n|:A|d2f a2f|d2f e2c:|\n"


def test_a_good_tune_has_no_problems() -> None:
    assert validate(GOOD) == []


def test_errors_in_header_and_body_are_all_reported_in_file_lines() -> None:
    text = (
        "X:1\nT:Bad\nM:waltz\nK:Qfoo\n"  # lines 1-4
        "ABC|[CE\n"  # line 5: unclosed chord
        'abc d"c|\n'  # line 6: unclosed quote
        "ABC D2E|]\n"  # line 7: fine
        "\nX:2\nT:Second\nM:3/4\nL:1/4\nK:G\nA B # C|\n"  # line 14: unknown character
    )
    problems = validate(text)
    assert all(isinstance(p, ABCError) for p in problems)
    positions = [(p.line, p.column, p.severity) for p in problems]
    assert positions == [
        (3, 3, "error"),
        (4, 3, "error"),
        (5, 5, "error"),
        (6, 6, "error"),
        (14, 5, "error"),
    ]
    assert "unclosed chord" in problems[2].message


def test_bar_lengths_and_slurs_are_warnings() -> None:
    text = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nABcd efga|ABc d2|(ABcd efga|\n"
    problems = validate(text)
    assert [(p.line, p.column, p.severity) for p in problems] == [
        (6, 11, "warning"),
        (6, 18, "warning"),
    ]
    assert "bar 2" in problems[0].message
    assert "unclosed slur" in problems[1].message


def test_missing_key_is_a_warning() -> None:
    problems = validate("X:1\nT:no key\nABC|\n")
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]


def test_validate_never_raises() -> None:
    rng = random.Random(5)
    alphabet = "XTMLK:1/8\nABCabc|[]{}()\"!^_=,'zZ%\\ #"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for problem in validate(text):
            assert problem.line >= 1 and problem.column >= 1


def test_a_key_the_core_cannot_read_is_marked_where_it_stands() -> None:
    header = "X:1\nT:t\nM:4/4\nL:1/8\n"
    marks = validate(header + "K:H\nABcd efga|\n")
    assert [(m.line, m.column, m.severity) for m in marks] == [(5, 3, "error")]
    assert "Hp" in marks[0].message  # says how pipes keys are written
    inline = validate(header + "K:Hp\nABcd [K:H] efga|\n")
    assert [(m.line, m.column) for m in inline] == [(6, 6)]
    assert validate(header + "K:HP\nABcd efga|\n") == []
