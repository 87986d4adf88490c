"""Tune books, header fields, keys, meters, unit lengths and tempi."""

from __future__ import annotations

from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import (
    MODES,
    TONICS,
    ABCError,
    KeySpec,
    default_unit_length,
    key_name,
    normalise_key,
    normalise_meter,
    parse_key,
    parse_tempo,
    parse_tune,
    split_tunebook,
)

BOOK = """%abc-2.1
% a tune book

X:1
T:The First
T:Second title
C:Trad.
M:6/8
L:1/8
R:jig
Q:3/8=120
K:E Minor
|:B|EFE G2A|
w: some words
BAG E2:|

X:2
T:Two
M:C|
K:A Mixolydian % comment
ABcd|

X:3
T:Three
M:2/4
K:D
DE|
"""


def test_split_tunebook() -> None:
    tunes = split_tunebook(BOOK)
    assert [t.number for t in tunes] == [1, 2, 3]
    first = tunes[0]
    assert first.title == "The First"
    assert first.fields[:3] == (("X", "1"), ("T", "The First"), ("T", "Second title"))
    assert first.field("C") == "Trad."
    assert (first.key, first.meter, first.unit, first.rhythm, first.tempo) == (
        "Em",
        "6/8",
        "1/8",
        "jig",
        120,
    )
    assert first.body == "|:B|EFE G2A|\nw: some words\nBAG E2:|\n"
    assert first.body_line == 13
    assert BOOK.splitlines()[first.body_line - 1] == "|:B|EFE G2A|"
    assert (tunes[1].key, tunes[1].meter, tunes[1].unit) == ("Amix", "2/2", "1/8")
    assert (tunes[2].meter, tunes[2].unit) == ("2/4", "1/16")  # default L from M


def test_parse_tune_without_x_and_bad_fields_is_tolerant() -> None:
    tune = parse_tune("T:Loose\nM:bogus\nL:x\nK:Qmaj\nABC|\n")
    assert tune.number is None
    assert (tune.title, tune.key, tune.meter, tune.unit) == ("Loose", "C", "none", "1/8")
    assert tune.body == "ABC|\n"
    assert tune.body_line == 5
    assert split_tunebook("") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("E Minor", "Em"),
        ("A Mixolydian", "Amix"),
        ("Dmaj", "D"),
        ("D dor", "Ddor"),
        ("D Dorian", "Ddor"),
        ("Gmin", "Gm"),
        ("Aaeolian", "Am"),
        ("C ionian", "C"),
        ("Bb", "Bb"),
        ("F#m", "F#m"),
        ("Eblyd", "Eblyd"),
        ("Bphr", "Bphr"),
        ("Bloc", "Bloc"),
        ("AMix", "Amix"),
        ("Hp", "Amix"),
        ("HP", "Amix"),
        ("none", "none"),
        ("", "C"),
        ("G clef=bass", "G"),
        ("Am middle=d transpose=-2", "Am"),
        ("G % comment", "G"),
    ],
)
def test_normalise_key(raw: str, expected: str) -> None:
    assert normalise_key(raw) == expected


def test_parse_key_and_key_name() -> None:
    assert parse_key("F# Minor") == KeySpec("F#", "minor")
    assert parse_key("none").none
    assert parse_key("G clef=bass").extra == "clef=bass"
    assert key_name("F#", "minor") == "F#m"
    assert key_name("A", "dorian") == "Ador"
    assert key_name("Bb", "major") == "Bb"
    assert set(MODES) >= {"major", "minor", "dorian", "mixolydian", "lydian", "phrygian", "locrian"}
    assert len(TONICS) == 12
    for raw in ("X", "Gfoo"):
        with pytest.raises(ABCError):
            parse_key(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C", "4/4"),
        ("C|", "2/2"),
        ("none", "none"),
        ("6/8", "6/8"),
        (" 3/4 ", "3/4"),
        ("2+3/8", "5/8"),
        ("FREI4/4", "none"),
    ],
)
def test_normalise_meter(raw: str, expected: str) -> None:
    assert normalise_meter(raw) == expected


def test_bad_meter() -> None:
    with pytest.raises(ABCError):
        normalise_meter("waltz")


@pytest.mark.parametrize(
    ("meter", "unit"),
    [
        ("2/4", Fraction(1, 16)),
        ("3/8", Fraction(1, 16)),
        ("3/4", Fraction(1, 8)),
        ("6/8", Fraction(1, 8)),
        ("C", Fraction(1, 8)),
        ("none", Fraction(1, 8)),
    ],
)
def test_default_unit_length(meter: str, unit: Fraction) -> None:
    assert default_unit_length(meter) == unit


@pytest.mark.parametrize(
    ("raw", "bpm"),
    [
        ("1/4=120", 120),
        ("120", 120),
        ('"Allegro" 1/4=120', 120),
        ("3/8=80", 80),
        ('"Slow"', None),
        ("C=90", 90),
    ],
)
def test_parse_tempo(raw: str, bpm: int | None) -> None:
    assert parse_tempo(raw) == bpm
