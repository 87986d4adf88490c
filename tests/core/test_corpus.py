"""The training corpus: genres, transposition to C, dedup, splits, cache and the stats command."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from composeium_desktop import cli
from composeium_desktop.core import abcnotation
from composeium_desktop.core.corpus import (
    GENRES,
    NORMALISED_TONIC,
    TuneRecord,
    deduplicate,
    genre_of,
    load_corpus,
    load_corpus_report,
    records_and_skips,
    records_from_abc_text,
    shift_to_c,
    split_of,
)
from composeium_desktop.core.corpus.modes import (
    drop_redundant_accidentals,
    infer_mode_in_c,
    pitch_class_counts,
)
from composeium_desktop.core.corpus.sources import MUSIC21_COLLECTIONS, music21_sources

SMALL_BOOK = """\
% a comment line
X:1
T:Kesh, The
R:jig
M:6/8
L:1/8
K:G
|:GAG GAB|ABA ABd|edd gdd|edB dBA:|

X:2
T:Silver Spear
M:C|
L:1/8
K:D
|:FA (3AAA BAFA|dfed BAFA:|

X:3
T:The Silver Spear again
M:C|
L:1/8
K:D
|:FA (3AAA BAFA|dfed BAFA:|

X:4
T:Two Voices
M:4/4
L:1/8
V:1
K:C
V:1
CDEF GABc|
V:2
C,D,E,F, G,A,B,C|

X:5
T:No meter
M:none
L:1/8
K:C
CDEF GABc|

X:6
T:Empty
M:4/4
L:1/8
K:Em

X:7
T:Sixteenths Lied
M:2/4
L:1/16
K:Bb
B4c4|d8|]

X:8
T:Dorian tune
R:reel
M:4/4
L:1/8
K:A Dorian
eAAB cBAG|EGGF GABc|
"""


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caches written by tests go to a temporary folder, never the user's."""
    data = tmp_path / "data"
    monkeypatch.setenv("COMPOSEIUM_DATA_DIR", str(data))
    return data


@pytest.fixture()
def small_book(tmp_path: Path) -> Path:
    path = tmp_path / "book.abc"
    path.write_text(SMALL_BOOK, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rhythm", "title", "collection", "meter", "genre"),
    [
        ("Reel", "Silver Spear", "oneills1850", "4/4", "reel"),
        ("Double jig", "Kesh", "oneills1850", "6/8", "jig"),
        ("Single Jig", "x", "ryansMammoth", "12/8", "jig"),
        ("slide", "x", "ryansMammoth", "12/8", "jig"),
        ("slipjig", "Rocky Road", "oneills1850", "9/8", "slip jig"),
        ("Slip jig", "x", "ryansMammoth", "9/8", "slip jig"),
        ("Hornpipe", "x", "oneills1850", "4/4", "hornpipe"),
        ("Clog", "x", "ryansMammoth", "4/4", "hornpipe"),
        ("Highland fling", "x", "ryansMammoth", "4/4", "strathspey"),
        ("Strathspey", "x", "ryansMammoth", "4/4", "strathspey"),
        ("Polka", "x", "user", "2/4", "polka"),
        ("Walzer", "x", "essenFolksong", "3/4", "waltz"),
        ("Tanz - Lied, Walzer", "x", "essenFolksong", "3/4", "waltz"),
        ("Marsch", "x", "essenFolksong", "2/4", "march"),
        ("Liebes - Lied", "x", "essenFolksong", "2/4", "song"),
        ("???", "Es fuhr sich ein Pfalzgraf", "essenFolksong", "6/8", "song"),
        ("Air", "x", "oneills1850", "3/4", "air"),
        ("Mazurka", "x", "user", "3/4", "other"),
        (None, "Swaggering Jig, The", "oneills1850", "6/8", "jig"),
        (None, "Dundee Volunteers March.", "airdsAirs", "4/4", "march"),
        (None, "Miss Maule of Panmure's Reel.", "airdsAirs", "4/4", "reel"),
        (None, "Grenadiers Quick Step", "miscFolk", "2/4", "march"),
        (None, "Niel Gow's Lament", "airdsAirs", "3/4", "air"),
        (None, "Niel Gow.", "airdsAirs", "4/4", "air"),
        (None, "Light and Airy!", "oneills1850", "2/4", "other"),
        (None, "Untitled", "oneills1850", "6/8", "jig"),
        (None, "Untitled", "ryansMammoth", "9/8", "slip jig"),
        (None, "Untitled", "essenFolksong", "6/8", "song"),
        (None, "Untitled", "miscFolk", "4/4", "other"),
    ],
)
def test_genre_mapping(
    rhythm: str | None, title: str, collection: str, meter: str, genre: str
) -> None:
    assert genre_of(rhythm, title, collection, meter) == genre
    assert genre in GENRES


@pytest.mark.parametrize(
    ("tonic", "shift"),
    [("C", 0), ("G", 5), ("D", -2), ("F", -5), ("F#", -6), ("Bb", 2), ("B", 1)],
)
def test_shift_to_c_moves_least(tonic: str, shift: int) -> None:
    assert shift_to_c(tonic) == shift
    assert -6 <= shift <= 5


def test_records_are_transposed_to_c_and_lex(small_book: Path) -> None:
    records, skipped = records_and_skips(small_book.read_text(), "mine")
    by_title = {r.title: r for r in records}
    kesh = by_title["Kesh, The"]
    assert (kesh.key, kesh.tonic, kesh.mode, kesh.meter, kesh.genre) == (
        "G", "G", "major", "6/8", "jig",
    )  # fmt: skip
    # G major moves up a fourth (+5, the smallest shift) to C major.
    assert kesh.body.replace(" ", "").startswith("|:cdccde|")
    dorian = by_title["Dorian tune"]
    assert (dorian.tonic, dorian.mode, dorian.genre) == ("A", "dorian", "reel")
    for record in records:
        abcnotation.lex(record.body)
        spec = abcnotation.parse_key(abcnotation.key_name(NORMALISED_TONIC, record.mode))
        assert spec.tonic == NORMALISED_TONIC
    assert skipped == Counter(
        {"several voices (V:)": 1, "no usable meter (M:)": 1, "empty body": 1}
    )


def test_unit_length_is_rewritten_to_eighths(small_book: Path) -> None:
    (lied,) = [r for r in records_from_abc_text(small_book.read_text(), "x") if "Lied" in r.title]
    assert lied.key == "Bb" and lied.genre == "song"
    # B4c4|d8 in L:1/16 is B2c2|d4 in L:1/8, then up 2 semitones to C major.
    assert lied.body.replace(" ", "").startswith("c2d2|e4")


def test_dedup_keeps_the_first_of_identical_bodies(small_book: Path) -> None:
    records = records_from_abc_text(small_book.read_text(), "x")
    spears = [r for r in records if "Silver Spear" in r.title]
    assert len(spears) == 2 and spears[0].body == spears[1].body
    kept, dropped = deduplicate(records)
    assert dropped == 1
    assert [r.title for r in kept if "Silver" in r.title] == ["Silver Spear"]


def test_split_is_a_stable_function_of_the_body() -> None:
    # Pinned values: the split must not change between runs, machines or Python versions.
    assert [split_of(f"|:C{i}D|") for i in (0, 1, 65, 72, 76, 78)] == [
        "train", "train", "validation", "validation", "test", "test",
    ]  # fmt: skip
    counts = Counter(split_of(f"body {i}\n") for i in range(20000))
    assert abs(counts["train"] / 20000 - 0.90) < 0.01
    assert abs(counts["validation"] / 20000 - 0.05) < 0.01
    assert abs(counts["test"] / 20000 - 0.05) < 0.01


def test_fingerings_are_dropped_but_the_split_is_that_of_the_body_with_them() -> None:
    text = 'X:1\nT:Fingered\nR:reel\nM:4/4\nL:1/8\nK:D\n"4"d2"0"ef "Segno"g2"G"fe|d8|]\n'
    (record,) = records_from_abc_text(text, "x")
    assert record.body == 'c2de f2"F"ed|c8|]'  # D -> C: down 2; the chord symbol moves too
    with_text = '"4"c2"0"de "Segno"f2"F"ed|c8|]'
    assert split_of(with_text) != split_of(record.body)  # the case this test is about
    assert record.split == split_of(with_text)
    # Nothing but text left: the tune has no notes and is skipped as empty.
    only_words = 'X:2\nT:Words\nM:4/4\nK:C\n"Fine" "D.C."|]\n'
    assert records_and_skips(only_words, "x") == ([], Counter({"empty body": 1}))


def test_load_corpus_from_user_files_uses_the_cache(
    small_book: Path, private_data_dir: Path
) -> None:
    first = load_corpus_report([small_book], include_music21=False)
    assert not first.from_cache
    assert [r.collection for r in first.records] == ["book"] * len(first.records)
    assert first.skipped["duplicate body"] == 1
    assert len(list(private_data_dir.glob("corpus-cache-*.jsonl"))) == 1
    second = load_corpus_report([small_book], include_music21=False)
    assert second.from_cache
    assert second.records == first.records and second.skipped == first.skipped
    assert load_corpus([small_book], include_music21=False) == first.records
    small_book.write_text(SMALL_BOOK + "\nX:9\nT:New\nM:2/4\nL:1/8\nK:D\nDEFG|A4|]\n")
    third = load_corpus_report([small_book], include_music21=False)
    assert not third.from_cache and len(third.records) == len(first.records) + 1


def test_stats_command_prints_the_table(
    small_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["corpus", "--stats", "--no-music21", "--corpus", str(small_book)]) == 0
    out = capsys.readouterr().out
    for heading in ("collection", "genre", "meter", "mode", "left out because", "characters"):
        assert heading in out
    assert "several voices (V:)" in out and "duplicate body" in out
    assert "book" in out and "jig" in out and "dorian" in out


def test_stats_command_rejects_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["corpus", "--no-music21", "--corpus", "/no/such/file.abc"]) == 2
    assert "no such ABC file" in capsys.readouterr().err


def test_build_tokenizer_command(small_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "tok"
    args = ["corpus", "--no-music21", "--corpus", str(small_book), "--build-tokenizer", str(out)]
    assert cli.main([*args, "--vocab-size", "80", "--title-vocab-size", "20"]) == 0
    assert (out / "body.model").is_file() and (out / "meta.json").is_file()


def test_wellformed_command_writes_the_training_splits_rules(
    small_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from composeium_desktop.core.corpus.wellformed import WELLFORMED_FILE, WellFormedTable

    out = tmp_path / "model"
    args = ["corpus", "--no-music21", "--corpus", str(small_book), "--wellformed", str(out)]
    assert cli.main(args) == 0
    table = WellFormedTable.load(out / WELLFORMED_FILE)
    trained = [r for r in load_corpus([small_book], include_music21=False) if r.split == "train"]
    assert sum(counts.tunes for counts in table.groups.values()) == len(trained) > 0
    assert "well-formedness table" in capsys.readouterr().out


def test_music21_collections_are_found_in_the_installed_package() -> None:
    sources = music21_sources()
    assert {s.collection for s in sources} == set(MUSIC21_COLLECTIONS)
    import music21

    package = Path(music21.__path__[0]).resolve()
    assert all(s.path.resolve().is_relative_to(package) for s in sources)


@pytest.mark.slow
def test_whole_corpus_figures() -> None:
    report = load_corpus_report()
    records = report.records
    assert 11000 <= len(records) <= 13500
    assert {r.collection for r in records} == set(MUSIC21_COLLECTIONS)
    assert len({r.body for r in records}) == len(records)
    assert set(Counter(r.genre for r in records)) <= set(GENRES)
    splits = Counter(r.split for r in records)
    assert abs(splits["train"] / len(records) - 0.9) < 0.02
    lexed = len(records) + sum(n for why, n in report.skipped.items() if why == "lexer error")
    assert report.skipped["lexer error"] <= 0.01 * lexed
    for record in records[::50]:
        assert isinstance(record, TuneRecord)
        abcnotation.lex(record.body)
    quoted = [t for r in records for t in abcnotation.lex(r.body) if t.kind == "symbol"]
    assert all(abcnotation.is_chord_symbol(t.data) for t in quoted)


ESSEN_STYLE_MINOR = """\
X:1
T:Moll-Lied
R:Lied
M:3/4
L:1/8
K:G
G2 A2 _B2|c2 _B2 A2|G2 D2 G2|_B2 A2 G2|]
"""


def test_accidentals_hold_to_the_end_of_the_bar() -> None:
    counts = pitch_class_counts("_E E =E E|E", "C")
    assert counts == Counter({3: 2, 4: 3})
    assert pitch_class_counts("E [K:Cm] E", "C") == Counter({4: 1, 3: 1})


@pytest.mark.parametrize(
    ("notes", "mode"),
    [
        ("CDEFGABc", "major"),
        ("CD_EFG_A_Bc", "minor"),
        ("CD_EFGA_Bc", "dorian"),
        ("C_D_EFG_A_Bc", "phrygian"),
        ("CDEFGA_Bc", "mixolydian"),
        ("CDE^FGABc", "lydian"),
        ("CDGAc", "major"),
    ],
)
def test_mode_inference_from_scale_degrees(notes: str, mode: str) -> None:
    assert infer_mode_in_c(pitch_class_counts(notes, "C")) == mode


def test_redundant_accidentals_are_dropped_safely() -> None:
    assert drop_redundant_accidentals("_E E =E _E|_E _A B", "Cm") == "E E =E _E|E A B"
    # After =e an unmarked E could be read as natural: the explicit flat stays.
    assert drop_redundant_accidentals("=e _E|", "Cm") == "=e _E|"
    assert drop_redundant_accidentals("^F [K:Cm] _E", "G") == "F [K:Cm] E"


def test_essen_modes_are_inferred_from_the_notes() -> None:
    (record,) = records_from_abc_text(ESSEN_STYLE_MINOR, "essenFolksong")
    assert (record.key, record.tonic, record.mode, record.genre) == ("Gm", "G", "minor", "song")
    assert "_" not in record.body  # E flat is in the C minor signature now
    assert record.body.replace(" ", "").startswith("c2d2e2|")
    (written,) = records_from_abc_text(ESSEN_STYLE_MINOR, "oneills1850")
    assert (written.key, written.mode) == ("G", "major")
