"""Training normalisation: what is dropped, what is kept, one unit length, same bar lengths."""

from __future__ import annotations

from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import (
    TRAIN_UNIT,
    bar_lengths,
    drop_text_symbols,
    is_chord_symbol,
    lex,
    normalise_body,
    parse_tune,
)


def tune(body: str, meter: str = "4/4", unit: str | None = "1/8", key: str = "G") -> str:
    head = f"X:1\nT:t\nM:{meter}\n" + (f"L:{unit}\n" if unit else "") + f"K:{key}\n"
    return normalise_body(parse_tune(head + body))


def test_drops_comments_fields_annotations_and_layout() -> None:
    body = '%%MIDI program 1\nABcd % note\nw: la la\nN: a note\n"^Fine"efga y`$|]\n'
    assert tune(body) == "ABcd\nefga|]"


def test_decorations_all_dropped_but_the_roll() -> None:
    assert tune("!trill!A .B ~c Hd +fermata+e uf vg Ta|") == "A B ~c d e f g a|"


def test_chord_symbols_kept() -> None:
    assert tune('"G"GABc "D7"d4|') == '"G"GABc "D7"d4|'


def test_whitespace_and_line_breaks() -> None:
    body = "  A  B\tc   d |  e f g a  |\n\n"
    assert tune(body) == "A B c d|e f g a|"
    assert tune("ABcd \\\nefga|\\ % more\nABcd|\n") == "ABcd efga|ABcd|"


@pytest.mark.parametrize(
    ("unit", "meter", "body", "expected"),
    [
        ("1/16", "2/4", "A2 A A4 A/2 z2|", "A A/ A2 A/4 z|"),
        ("1/4", "4/4", "A A/2 A3/2 z|", "A2 A A3 z2|"),
        ("1/8", "4/4", "A1 A/2 A// A2/4|", "A A/ A/4 A/|"),
        ("1/8", "4/4", "[CE]2 [C2E2]/ [C2E]/ {g}A (3ABc|", "[CE]2 [CE] [C2E]/ {g}A (3ABc|"),
        ("1/16", "2/4", "[CE]2 {g}A (3ABc Z2|", "[CE] {g/}A/ (3A/B/c/ Z2|"),
        ("1/8", "4/4", "A2 [L:1/16] A2 B4|", "A2 A B2|"),
        ("1/8", "4/4", "A2\nL:1/4\nA2|", "A2\nA4|"),
    ],
)
def test_lengths_rewritten_for_unit_eighth(unit: str, meter: str, body: str, expected: str) -> None:
    assert TRAIN_UNIT == "1/8"
    assert tune(body, meter, unit) == expected


def test_default_unit_of_the_meter_is_rewritten() -> None:
    assert tune("A2 B2|", "2/4", None) == "A B|"  # 2/4 defaults to L:1/16


def test_inline_key_and_meter_kept_and_normalised() -> None:
    assert (
        tune("A [K:E minor] B|\nM:C|\nK:A Mixolydian\nc|") == "A [K:Em] B|\n[M:2/2]\n[K:Amix]\nc|"
    )


def test_output_lexes_and_keeps_bar_lengths() -> None:
    text = (
        "X:1\nT:t\nM:6/8\nL:1/16\nK:D\n"
        '|:"D"!p!A2|d4f2 (3a2g2f2 e4|~d6 {e}d2c2B2|[A4c4]B2 A4F2|1 D8 z2:|2 D6\\\nz4|]\n'
    )
    parsed = parse_tune(text)
    out = normalise_body(parsed)
    lex(out)
    before = [(b.length, b.expected) for b in bar_lengths(parsed.body, "6/8", "1/16")]
    after = [(b.length, b.expected) for b in bar_lengths(out, "6/8", "1/8")]
    assert before == after


@pytest.mark.parametrize(
    "text", ["C", "Am", "F#m7", "Bbmaj7", "G/B", "Ddim", "Esus4", "C7b9", "A+"]
)
def test_chord_symbols_are_recognised(text: str) -> None:
    assert is_chord_symbol(text)


@pytest.mark.parametrize("text", ["4", "0", "Segno", "tr", "G.C.", "C MINOR", "SEGUE", "p", ""])
def test_fingerings_and_words_are_not_chord_symbols(text: str) -> None:
    assert not is_chord_symbol(text)


def test_text_symbols_dropped_chord_symbols_kept() -> None:
    body = tune('"G"A"4"B "Segno" c"0"d|"D7"e>"3"f g4|]', meter="3/4")
    assert drop_text_symbols(body) == '"G"AB cd|"D7"e>f g4|]'
    # The space left between two dropped words collapses; bars keep their lengths.
    assert drop_text_symbols('A "tr" "4" B|C2|') == "A B|C2|"

    def lengths(text: str) -> list[object]:
        return [bar.length for bar in bar_lengths(text, "3/4", TRAIN_UNIT)]

    assert lengths(drop_text_symbols(body)) == lengths(body) == [Fraction(1, 2), Fraction(3, 4)]


def test_bodies_without_text_symbols_are_unchanged() -> None:
    body = tune('|:"Am"A>B (3cde [CE]2 {g}f ~g|]')
    assert drop_text_symbols(body) == body
    assert drop_text_symbols("ABcd|") == "ABcd|"
