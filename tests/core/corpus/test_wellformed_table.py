"""The corpus's measure of a well-formed tune: rules derived from counts per genre and meter,
borrowed by a genre with too few tunes, kept through a save and load; and the table shipped
with the model says what the issue asks (a raised seventh in minor, none in dorian or
mixolydian; polkas and waltzes borrow from their family)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from composeium_desktop.core.abcnotation.wellformed import read_facts
from composeium_desktop.core.corpus.wellformed import (
    MIN_TUNES,
    WELLFORMED_FILE,
    WellFormedTable,
)
from composeium_desktop.paths import model_dir


def table_of(rows: list[tuple[str, str, str, str]]) -> WellFormedTable:
    """From (meter, genre, key, body) rows, unit 1/8."""
    return WellFormedTable.from_facts(
        (meter, genre, read_facts(body, meter, "1/8", key)) for meter, genre, key, body in rows
    )


def test_rules_come_from_the_genres_own_tunes() -> None:
    eighths = "cdef|gabc|" * 4
    reels = [("2/4", "reel", "C", eighths + "]")] * (MIN_TUNES - 1)
    reels.append(("2/4", "reel", "C", eighths + "c2c2|]"))
    table = table_of(reels)
    rules = table.rules("2/4", "reel")
    assert rules.shortest == rules.longest == Fraction(1, 8)  # 2 quarters in 642 notes: a tail
    assert not rules.rest_bars  # a dance tune
    assert rules.max_run == 1 and rules.max_count == 4
    assert table.borrowed_from("2/4", "reel") is None


def test_a_genre_with_few_tunes_borrows_its_familys_rules_and_says_so() -> None:
    reels = [("2/4", "reel", "C", "cdef|gabc|]")] * MIN_TUNES
    songs = [("2/4", "song", "C", "c4|g4|]")] * MIN_TUNES
    polkas = [("2/4", "polka", "C", "c2c2|g2g2|]")] * 3
    table = table_of(reels + songs + polkas)
    assert table.borrowed_from("2/4", "polka") == "reel in 2/4"
    assert table.rules("2/4", "polka").longest == Fraction(1, 8)
    assert not table.rules("2/4", "polka").rest_bars  # still a dance tune
    # No family in the meter: the meter's tunes together.
    assert table.borrowed_from("2/4", "waltz") == "song in 2/4"
    assert table.borrowed_from("3/4", "waltz") == "all tunes"


def test_pitches_outside_the_mode_count_only_when_the_corpus_uses_them_often() -> None:
    minor = [("4/4", "air", "Am", "A2 ^G2 A2 B2|c2 B2 A4|]")] * MIN_TUNES
    dorian = [("4/4", "air", "Ador", "A2 ^G2 A2 B2|c2 B2 A4|]")]  # 1 G sharp in 287 notes
    dorian += [("4/4", "air", "Ador", "A2 G2 A2 B2|c2 B2 A4|]")] * 40
    rules = table_of(minor + dorian).rules("4/4", "air")
    assert rules.allowed_pitch_classes("minor") == frozenset({0, 2, 3, 5, 7, 8, 10, 11})
    assert rules.allowed_pitch_classes("dorian") == frozenset({0, 2, 3, 5, 7, 9, 10})


def test_a_saved_table_loads_the_same_rules(tmp_path: Path) -> None:
    table = table_of([("6/8", "jig", "D", "dcB A2F|GFE D3|]")] * MIN_TUNES)
    table.save(tmp_path / WELLFORMED_FILE)
    loaded = WellFormedTable.load_beside(tmp_path)
    assert loaded is not None
    assert loaded.rules("6/8", "jig") == table.rules("6/8", "jig")
    assert WellFormedTable.load_beside(tmp_path / "nothing") is None


def test_the_shipped_table_keeps_the_modes_and_borrows_for_polkas_and_waltzes() -> None:
    table = WellFormedTable.load_beside(model_dir())
    assert table is not None
    rules = table.rules("4/4", "reel")
    assert 11 in (rules.allowed_pitch_classes("minor") or ())  # the raised seventh
    assert rules.allowed_pitch_classes("dorian") == frozenset({0, 2, 3, 5, 7, 9, 10})
    assert rules.allowed_pitch_classes("mixolydian") == frozenset({0, 2, 4, 5, 7, 9, 10})
    assert table.borrowed_from("2/4", "polka") == "reel in 2/4"
    assert table.borrowed_from("3/4", "waltz") == "air in 3/4"
    assert table.borrowed_from("6/8", "jig") is None
    assert rules.shortest is not None and rules.longest is not None
    assert rules.shortest < rules.longest
