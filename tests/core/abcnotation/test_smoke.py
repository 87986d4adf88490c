"""First checks of the public API: keys, meters, lexing, transposition and normalisation."""

from composeium_desktop.core.abcnotation import (
    default_unit_length,
    lex,
    normalise_body,
    normalise_key,
    normalise_meter,
    parse_tune,
    transpose_body,
)


def test_keys_and_meters() -> None:
    assert normalise_key("E Minor") == "Em"
    assert normalise_key("A Mixolydian") == "Amix"
    assert normalise_key("Dmaj") == "D"
    assert normalise_meter("C") == "4/4"
    assert normalise_meter("C|") == "2/2"
    assert str(default_unit_length("2/4")) == "1/16"


def test_transpose_and_normalise_roundtrip() -> None:
    tune = parse_tune("X:1\nT:t\nM:2/4\nL:1/16\nK:G\nG2AB c2^cd|e4 z4|]\n")
    assert normalise_body(tune) == "GA/B/ c^c/d/|e2 z2|]"
    assert transpose_body("G2AB c2^cd|", 2, "G") == "A2Bc d2^de|"
    assert [t.kind for t in lex("[CEG]2")] == ["chord", "note", "note", "note", "chordend"]
