"""Transposition: key spelling, note spelling and accidentals, checked against music21 and abc2abc."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from composeium_desktop.core.abcnotation import (
    ABCError,
    Tune,
    lex,
    parse_tune,
    transpose_body,
    transpose_symbol,
    transpose_tune,
    transposed_key,
)

SHIFTS = [s for s in range(-6, 7) if s != 0]  # 12 shifts


@pytest.mark.parametrize(
    ("key", "shift", "expected"),
    [
        ("G", 2, "A"),
        ("Em", 1, "Fm"),
        ("C", 1, "Db"),
        ("C", 6, "Gb"),
        ("Dm", 1, "Ebm"),
        ("Em", 2, "F#m"),
        ("Ador", 2, "Bdor"),
        ("Amix", -2, "Gmix"),
        ("D", -2, "C"),
        ("E Minor", 0, "Em"),
        ("Hp", 2, "Bmix"),
        ("none", 3, "none"),
        ("G clef=bass", 2, "A clef=bass"),
    ],
)
def test_transposed_key_uses_the_conventional_spelling(key: str, shift: int, expected: str) -> None:
    assert transposed_key(key, shift) == expected


@pytest.mark.parametrize(
    ("body", "shift", "key", "expected"),
    [
        ("GAB c2d|", 2, "G", "ABc d2e|"),
        ("B c b' B,|", 1, "C", "c d c'' C|"),  # Db major: octave marks follow the letter
        ("^c c c' =c|c", 2, "G", "^d d d' =d|d"),  # accidentals hold to the bar line, same octave
        ("F f ^F|", 1, "C", "G g =G|"),  # in Db major F+1 is Gb (key signature), F#+1 is G
        ("=F F|", 0, "G", "=F F|"),
        ("[CEG]2 {g}f (3fga|", -2, "C", "[B,DF]2 {f}e (3efg|"),
        ("C ^C =C _D|", -1, "C", "B, ^B, =B, =C|"),  # B major: letters move with the key
        ('"Am7/G" A|', 3, "C", '"Cm7/Bb" c|'),
        ("A [K:D] A|", 2, "G", "B [K:E] B|"),
        ("A\nK:D\nA|", 2, "G", "B\nK:E\nB|"),
    ],
)
def test_transpose_body(body: str, shift: int, key: str, expected: str) -> None:
    assert transpose_body(body, shift, key) == expected


def test_transpose_body_to_a_named_key() -> None:
    assert transpose_body("DEF|", -2, "D", "C") == "CDE|"
    assert transpose_body("D^CD|", 1, "Dm", "Ebm") == "E=DE|"
    with pytest.raises(ABCError):
        transpose_body("DEF|", 3, "D", "C")


def test_explicit_key_signatures() -> None:
    # K:D exp ^f: only F is sharp, so C is natural; the target key is spelled normally
    assert transpose_body("FC|", 2, "D exp ^f") == "G=D|"
    assert transposed_key("D exp ^f", 2) == "E"
    assert transpose_body("FG|", 0, "C ^g", "C") == "F^G|"


def test_courtesy_accidentals_can_be_dropped() -> None:
    assert transpose_body("^F =C ^F|=F", 0, "G") == "^F =C ^F|=F"
    assert transpose_body("^F =C ^F|=F", 0, "G", courtesy=False) == "F C F|=F"
    assert transpose_body("^c c =c|", 2, "G", courtesy=False) == "^d d =d|"


def test_transpose_symbol() -> None:
    assert transpose_symbol("G", 2, 1) == "A"
    assert transpose_symbol("F#m", 1, 1) == "Gm"
    assert transpose_symbol("Bb7", 2, 1) == "C7"
    assert transpose_symbol("text", 2, 1) == "text"


def test_transpose_tune_rewrites_the_header_key() -> None:
    text = "X:1\nT:A\nM:4/4\nK:G\nGABc|\n\nX:2\nT:B\nK:Em\nE2 ^D2|\n"
    out = transpose_tune(text, 1)
    assert "K:Ab\nABcd|" in out
    assert "K:Fm\nF2 =E2|" in out
    assert "T:A\n" in out and "T:B\n" in out


def test_transpose_rejects_bad_bodies() -> None:
    with pytest.raises(ABCError):
        transpose_body("A [CE", 2, "C")


# --- independent checks -------------------------------------------------------------------


def _m21_pitches(abc_text: str) -> list[int]:
    """Sounding MIDI numbers of every note (chord members too) as music21 reads them."""
    from music21 import converter, harmony

    header = "%abc-2.1\n%%propagate-accidentals octave\n"  # ABC 2.1: same letter and octave
    score = converter.parse(header + abc_text, format="abc", forceSource=True)
    out: list[int] = []
    for element in score.recurse().notes:
        if isinstance(element, harmony.ChordSymbol):
            continue
        out.extend(sorted(p.midi for p in element.pitches))
    return out


def _sample(corpus_tunes: list[tuple[str, Tune]], count: int) -> list[Tune]:
    """``count`` tunes spread over the collections, with accidentals and some key variety."""
    picked: list[Tune] = []
    for collection in ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "essenFolksong"):
        tunes = [t for c, t in corpus_tunes if c == collection or c.startswith(collection)]
        if collection == "essenFolksong":
            tunes = [t for c, t in corpus_tunes if "essen" in c or c in ("altdeu10",)]
        tunes = [t for t in tunes if any(ch in t.body for ch in "^_=") and _lexes(t)]
        step = max(len(tunes) // (count // 5), 1)
        picked.extend(tunes[::step][: count // 5])
    return picked


def _lexes(tune: Tune) -> bool:
    try:
        lex(tune.body)
    except ABCError:
        return False
    return True


def _tune_text(tune: Tune, key: str, body: str) -> str:
    fields = "".join(f"{k}:{v}\n" for k, v in tune.fields if k in "XTML")
    return f"{fields}K:{key}\n{body}"


@pytest.mark.slow
def test_transposition_matches_music21_pitches(corpus_tunes: list[tuple[str, Tune]]) -> None:
    tunes = _sample(corpus_tunes, 30)
    assert len(tunes) >= 25
    for tune in tunes:
        original = _m21_pitches(_tune_text(tune, tune.raw_key, tune.body))
        assert original, tune.title
        for shift in SHIFTS:
            body = transpose_body(tune.body, shift, tune.raw_key)
            moved = _m21_pitches(_tune_text(tune, transposed_key(tune.raw_key, shift), body))
            assert moved == [p + shift for p in original], (tune.title, shift)


def test_transposition_matches_music21_on_a_small_tune() -> None:
    tune = parse_tune(
        "X:1\nT:t\nM:6/8\nL:1/8\nK:D\n|:A|d2f ^g=ga|b2a {g}f2e|[df]2e d^cB|A3 A2:|\n"
        "|:g|f2d B,2C|_E2=F G2a|b'2a c'2b|e3 d2:|\n"
    )
    original = _m21_pitches(tune.to_abc())
    for shift in SHIFTS:
        moved = _m21_pitches(transpose_tune(tune.to_abc(), shift))
        assert moved == [p + shift for p in original], shift


@pytest.mark.slow
def test_transposition_agrees_with_abc2abc(
    corpus_tunes: list[tuple[str, Tune]], tmp_path: Path
) -> None:
    tunes = _sample(corpus_tunes, 10)
    for tune in tunes:
        source = tmp_path / "tune.abc"
        source.write_text(_tune_text(tune, tune.raw_key, tune.body))
        for shift in SHIFTS:
            theirs = subprocess.run(
                ["abc2abc", str(source), "-t", str(shift)],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout
            ours = transpose_tune(source.read_text(), shift)
            assert _m21_pitches(ours) == _m21_pitches(theirs), (tune.title, shift)
