"""The harmoniser on hand-made melodies, the text it writes, and its agreement with people."""

from __future__ import annotations

from pathlib import Path

from composeium_desktop.cli import main
from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.abcnotation.keys import KeySpec
from composeium_desktop.core.harmony import (
    harmonise_book,
    harmonise_tune_text,
    read_melody,
    score_book,
    set_aside_chords,
    strip_chords,
)
from composeium_desktop.core.harmony.mode import read_mode

BOOK = Path(__file__).parents[2] / "data" / "chorded" / "folk_chorded.abc"


def _tune(key: str, body: str, meter: str = "4/4", rhythm: str = "reel") -> str:
    return f"X:1\nT:Test\nR:{rhythm}\nM:{meter}\nL:1/8\nK:{key}\n{body}\n"


def _symbols(text: str) -> list[str]:
    return [s.text for s in read_melody(parse_tune(text)).symbols]


def test_an_I_IV_V_tune_gets_I_IV_V() -> None:
    text = _tune("G", "|GBdB GBdB|cegc' ecge|dfad' afdf|g2 d2 G4|]")
    assert _symbols(harmonise_tune_text(text)) == ["G", "C", "D7", "G"]


def test_a_dorian_tune_gets_its_major_IV_and_flat_VII() -> None:
    # E dorian: Em, then A major (the dorian IV, with c sharp from the key), D (bVII), Em.
    text = _tune("Edor", "|EGBG EGBG|Acea ecAc|DFAd AFDF|E2 B2 E4|]")
    assert _symbols(harmonise_tune_text(text)) == ["Em", "A", "D", "Em"]


def test_a_mixolydian_tune_gets_flat_VII_spelled_in_the_key() -> None:
    text = _tune("Amix", "|Acea ecAc|GBdg dBGB|Acea ecAc|A2 E2 A4|]")
    assert _symbols(harmonise_tune_text(text)) == ["A", "G", "A"]


def test_a_mixolydian_tune_written_in_D_is_read_as_A_mixolydian() -> None:
    # K:D, but every part comes to rest on a long A and the melody leans on A C# E with G
    # natural: the accompanist plays A and G (I and bVII), not D and A.
    text = _tune("D", "|:Acea ecAc|GBdg dBGB|Acea ecAc|A2 E2 A4:|")
    assert read_mode(read_melody(parse_tune(text))) == KeySpec("A", "mixolydian")
    assert _symbols(harmonise_tune_text(text)) == ["A", "G", "A"]


def test_a_dorian_tune_written_in_E_minor_is_read_as_dorian() -> None:
    # K:Em with the C sharps written in: the sixth is major, so the IV is A major.
    text = _tune("Em", "|EGBG EGBG|A^cea e^cA^c|DFAd AFDF|E2 B2 E4|]")
    assert read_mode(read_melody(parse_tune(text))) == KeySpec("E", "dorian")
    assert _symbols(harmonise_tune_text(text)) == ["Em", "A", "D", "Em"]


def test_a_tune_that_only_ends_on_its_dominant_keeps_its_written_key() -> None:
    # Ends on D, but the melody leans on G B D: still G major.
    text = _tune("G", "|GBdB GBdB|gdBd gdBG|cBAG FGAB|G2 B2 d4|]")
    assert read_mode(read_melody(parse_tune(text))) == KeySpec("G", "major")


def test_a_minor_tune_uses_the_major_V() -> None:
    text = _tune("Am", "|ACEA ECEA|^GBe^g eBGB|A2 E2 A4|]")
    assert _symbols(harmonise_tune_text(text)) == ["Am", "E7", "Am"]


def test_a_part_end_gets_a_cadence_on_the_tonic(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The first part's last bar "d2 A2 d4" fits D as well as G: the cadence at the repeat
    # makes its end the tonic G, after the dominant D7. (The tune ends on G: one that came to
    # rest on long Ds at both its ends would be read as D mixolydian.)
    text = _tune("G", "|:GABc dedB|cBAG ABcA|BGBd cAFA|d2 A2 d4:|\n|:d2 g2 f2 e2|d2 B2 G4|]")
    first_part = harmonise_tune_text(text).split(":|")[0]
    assert first_part.endswith('"D7"cAFA|d2 A2 "G"d4')  # V7 sounding into the bar, then I
    import composeium_desktop.core.harmony.harmoniser as harmoniser

    monkeypatch.setattr(harmoniser, "CADENCE_TONIC", 0.0)
    monkeypatch.setattr(harmoniser, "CADENCE_DOMINANT", 0.0)
    assert harmonise_tune_text(text).split(":|")[0].endswith("|d2 A2 d4")


def test_jigs_get_a_chord_or_two_a_bar_on_the_dotted_quarters() -> None:
    text = _tune("D", "|:dAF DFA|dAF GBd|cBA GFE|DFA d3:|", meter="6/8", rhythm="jig")
    melody = read_melody(parse_tune(harmonise_tune_text(text)))
    for symbol in melody.symbols:
        assert symbol.onset % (3 * 1 / 8) == 0 or (symbol.onset * 8) % 3 == 0


def test_the_melody_text_is_byte_identical_apart_from_the_chords() -> None:
    book = (
        "%abc-2.1\r\n\r\nX:1\r\nT:One\r\nM:6/8\r\nL:1/8\r\nK:D\r\n"
        '|:"^Intro"d2A {g}FGA|(3BcB AF D2E|!trill!F3 [Ad]2B|\r\nAFD D3:|  % end\r\n\r\n'
        "X:2\nT:Two\nM:3/4\nL:1/4\nK:Em\nE G B|A2 B|G3-|G E2|]\n"
    )
    result = harmonise_book(book)
    assert result.harmonised == 2
    assert result.text != book
    assert strip_chords(result.text) == book
    assert '"^Intro"' in result.text


def test_existing_chords_are_kept_unless_replace() -> None:
    text = _tune("G", '|"Em"GBdB GBdB|"Am"cegc\' ecge|"D"dfad\' afdf|"G"g2 d2 G4|]')
    assert harmonise_book(text).text == text
    assert harmonise_book(text).kept == 1
    replaced = harmonise_book(text, replace=True).text
    assert _symbols(replaced) == ["G", "C", "D7", "G"]


def test_rich_style_uses_the_secondary_chords() -> None:
    text = _tune("G", "|GBdB GBdB|egbg egbg|Acea cAce|dfaf d4|GBdB G4|]")
    rich = _symbols(harmonise_tune_text(text, "rich"))
    simple = _symbols(harmonise_tune_text(text, "simple"))
    assert "Em" in rich and "Am7" in rich or "Am" in rich
    assert all(s.rstrip("7") in ("G", "C", "D") for s in simple)


def test_rich_style_hears_a_sharp_fourth_as_the_dominants_dominant() -> None:
    # C sharp in G: the accompanist plays A7 (V of V) before D7, not a chord that clashes.
    text = _tune("G", "|GBdB GBdB|A^cea ^ceAc|dfad afdf|g2 d2 G4|]")
    assert _symbols(harmonise_tune_text(text, "rich")) == ["G", "A7", "D7", "G"]


def test_rich_style_hears_a_sharp_fifth_as_the_dominant_of_vi() -> None:
    text = _tune("G", "|GBdB GBdB|B^dfa ^dfBd|egbg egbg|A^ceg ^ceAc|d2f2 a2f2|g8|]")
    assert _symbols(harmonise_tune_text(text, "rich")) == ["G", "B7", "Em", "A7", "D7", "G"]


def test_a_key_change_in_the_body_is_harmonised_in_the_new_key() -> None:
    # Part B moves to D: its chords are D's (A7 over the C sharps), not G's.
    text = _tune(
        "G",
        "|:GBdB GBdB|cegc' ecge|dfad' afdf|g2 d2 G4:|\nK:D\n|:dfaf dfaf|gbge cegc'|d2f2 e2c2|d8:|",
    )
    assert _symbols(harmonise_tune_text(text)) == [
        "G",
        "C",
        "D7",
        "G",
        "D",
        "G",
        "A7",
        "D",
        "A7",
        "D",
    ]


def test_harmonising_is_deterministic() -> None:
    text = BOOK.read_text()
    assert harmonise_book(text, replace=True).text == harmonise_book(text, replace=True).text


def test_set_aside_and_restore_round_trips() -> None:
    text = 'X:1\nT:A "quoted" title\nK:G\n"G"GAB "^up"c|"Am7"A4 % "C" not a chord\nw: "words"\n'
    bare, aside = set_aside_chords(text)
    assert bare == 'X:1\nT:A "quoted" title\nK:G\nGAB "^up"c|A4 % "C" not a chord\nw: "words"\n'
    assert aside.count == 2
    assert aside.restore(bare) == text
    continued = bare + "|B4|]\n"
    assert aside.restore(continued) == text + "|B4|]\n"


def test_agreement_with_the_chords_people_play_beats_the_tonic() -> None:
    score = score_book(BOOK.read_text(), "simple")
    assert len(score.tunes) == 14 and not score.errors
    assert score.agreement >= 0.70
    assert score.agreement >= score.tonic_agreement + 0.15


def test_cli_harmonise_writes_the_book(tmp_path: Path) -> None:
    source = tmp_path / "in.abc"
    source.write_bytes(_tune("G", "|GBdB GBdB|cegc' ecge|dfad' afdf|g2 d2 G4|]").encode())
    out = tmp_path / "out.abc"
    assert main(["harmonise", str(source), "-o", str(out), "--style", "rich"]) == 0
    assert _symbols(out.read_text())[0] == "G"
    assert strip_chords(out.read_text()) == source.read_text()


def test_cli_score_against(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["harmonise", str(BOOK), "--score-against"]) == 0
    assert "root agreement (simple)" in capsys.readouterr().out


def test_cli_score_against_says_which_key_it_heard(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    book = tmp_path / "plain.abc"
    book.write_text(_tune("D", '|:"A"Acea ecAc|"G"GBdg dBGB|"A"Acea ecAc|"A"A2 E2 A4:|'))
    assert main(["harmonise", str(book), "--score-against"]) == 0
    out = capsys.readouterr().out
    assert "(heard as Amix)" in out
    assert "root agreement (simple) at every eighth-note point: 100.0%" in out
