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


# --- to a named key, by interval, a passage -------------------------------------------------

from composeium_desktop.core.abcnotation.transpose import (  # noqa: E402
    INTERVALS,
    instrument_keys,
    semitones_to_key,
    transpose_passage,
    transpose_tune_to,
)

CHORD_TUNE = 'X:1\nT:Chords\nM:4/4\nL:1/8\nK:G\n"G"G2 AB "D7"d2 ^cd|"Em/B"e2 B2 "C"c4|\n'


@pytest.mark.parametrize(
    ("key", "tonic", "direction", "expected"),
    [
        ("D", "G", "nearest", 5),
        ("D", "G", "down", -7),
        ("D", "A", "nearest", -5),
        ("D", "A", "up", 7),
        ("Em", "A", "nearest", 5),
        ("G", "G", "up", 0),
        ("G", "G", "down", 0),
        ("Bb", "F#", "nearest", -4),
    ],
)
def test_semitones_to_key(key: str, tonic: str, direction: str, expected: int) -> None:
    assert semitones_to_key(key, tonic, direction) == expected


def test_semitones_to_key_rejects_what_is_no_key() -> None:
    with pytest.raises(ABCError):
        semitones_to_key("D", "Q")
    with pytest.raises(ABCError):
        semitones_to_key("D", "G", "sideways")


def test_to_a_named_key_moves_notes_and_spells_chords_in_the_new_key() -> None:
    text, moved = transpose_tune_to(CHORD_TUNE, "D")
    assert moved == -5
    assert text.splitlines()[4] == "K:D"
    # Chord symbols and notes read in D: the D7 becomes A7, the raised c# becomes g#.
    assert text.splitlines()[5] == '"D"D2 EF "A7"A2 ^GA|"Bm/F#"B2 F2 "G"G4|'
    assert _m21_pitches(text) == [p - 5 for p in _m21_pitches(CHORD_TUNE)]


def test_to_a_named_key_keeps_the_mode_and_uses_the_spelling_asked_for() -> None:
    minor = 'X:1\nK:Em\n"Em"E2 "B7"^D2|\n'
    text, moved = transpose_tune_to(minor, "F#", "up")
    assert moved == 2
    assert text == 'X:1\nK:F#m\n"F#m"F2 "C#7"^E2|\n'
    flat, _ = transpose_tune_to(minor, "Gb", "up")
    assert flat.splitlines()[1] == "K:Gbm"


def test_to_a_named_key_in_a_book_moves_each_tune_to_that_tonic() -> None:
    book = "X:1\nT:a\nK:D\nDFA|\n\nX:2\nT:b\nK:Ador\nABc|\n"
    text, _ = transpose_tune_to(book, "G")
    assert [ln for ln in text.splitlines() if ln.startswith("K:")] == ["K:G", "K:Gdor"]
    assert "GBd|" in text and "GAB|" in text


def test_intervals_cover_the_octave_and_an_octave_moves_letters_by_seven() -> None:
    assert [s for _, s in INTERVALS] == list(range(1, 13))
    assert transpose_tune("X:1\nK:G\nGAB|\n", 12) == "X:1\nK:G\ngab|\n"
    assert transpose_tune("X:1\nK:G\nGAB|\n", dict(INTERVALS)["perfect fourth"]) == (
        "X:1\nK:C\ncde|\n"
    )


def test_instrument_keys_per_mode() -> None:
    assert instrument_keys("major")[:3] == ("D", "G", "A")
    assert "Em" in instrument_keys("minor")
    assert instrument_keys("dorian")[0] == "Ador"


def test_a_passage_moves_its_notes_and_chords_and_keeps_the_key() -> None:
    text = 'X:1\nK:G\n"G"G A B c|"D"d e f g|\n'
    start = text.index('"G"')
    end = text.index("|")
    out = transpose_passage(text, start, end, 2)
    assert out == 'X:1\nK:G\n"A"A B ^c d|"D"d e f g|\n'


def test_a_passage_leaves_the_rest_of_its_bar_sounding_as_before() -> None:
    text = "X:1\nL:1/8\nK:C\nA B c B|B c|\n"
    start = text.index("A")
    out = transpose_passage(text, start, start + 1, 1)  # A -> Bb, the next B must stay B
    assert out == "X:1\nL:1/8\nK:C\n_B =B c B|B c|\n"
    assert _m21_pitches(out)[1:] == _m21_pitches(text)[1:]


def test_a_passage_after_an_accidental_reads_it() -> None:
    text = "X:1\nL:1/8\nK:C\n^F G F G|\n"
    start = text.index("F G|")
    # The second F is F#: it goes to G#, and the G after it must say it is natural.
    out = transpose_passage(text, start, start + 1, 2)
    assert out == "X:1\nL:1/8\nK:C\n^F G ^G =G|\n"
    before, after = _m21_pitches(text), _m21_pitches(out)
    assert after == [before[0], before[1], before[2] + 2, before[3]]


def test_a_tune_without_a_key_moves_its_letters_as_c_major_would() -> None:
    assert transpose_tune("X:1\nK:none\nC E G ^F|\n", 7) == "X:1\nK:none\nG B d ^c|\n"
    text, moved = transpose_tune_to("X:1\nK:none\nC E G|\n", "D", "up")
    assert (text, moved) == ("X:1\nK:none\nD ^F A|\n", 2)
