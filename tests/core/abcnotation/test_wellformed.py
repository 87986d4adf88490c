"""The notation core's reading of a well-formed tune: ties, bars of rests, note values, pitches
outside the mode and repeated bars (compared as they sound), and the counts a tune breaks its
rules by."""

from __future__ import annotations

from fractions import Fraction

from composeium_desktop.core.abcnotation.wellformed import (
    TuneFacts,
    WellFormedRules,
    check_tune,
    read_facts,
)


def facts(body: str, key: str = "C", meter: str = "4/4", unit: str = "1/8") -> TuneFacts:
    return read_facts(body, meter, unit, key)


def test_a_tie_joins_equal_pitches_only() -> None:
    assert facts("c2-c2 d4|").tie_mismatches == 0
    assert facts("cd-cd e4|").tie_mismatches == 1  # d tied to c
    assert facts("c4 d2-|d2 e6|").tie_mismatches == 0  # across a bar line
    assert facts("^c2-c2 d4|").tie_mismatches == 0  # the sharp is carried to the tied note
    assert facts("c2-z2 d4|").tie_mismatches == 1  # a tie to a rest
    assert facts("c8-|]").tie_mismatches == 1  # a tie to nothing
    assert facts("[ce]2-[ce]2 d4|").tie_mismatches == 0
    assert facts("F2-F2 d4|", key="G").tie_mismatches == 0  # both F sharp


def test_bars_of_rests_are_counted_and_a_pickup_rest_with_a_note_is_not() -> None:
    read = facts("z2 cd|efga b2c2|z8|c8|]")
    assert read.rest_bars == 1
    assert read.bars == 4


def test_note_values_are_written_lengths_in_whole_notes() -> None:
    read = facts("c2 d/e/ f4|")
    assert read.lengths == {Fraction(1, 4): 1, Fraction(1, 16): 2, Fraction(1, 2): 1}
    assert read.notes == 4
    rules = WellFormedRules(shortest=Fraction(1, 8), longest=Fraction(1, 4))
    assert check_tune("c2 d/e/ f4|", "4/4", "1/8", "C", rules).out_of_range == 3


def test_pitches_outside_the_mode_are_read_with_the_key_signature() -> None:
    rules = WellFormedRules(alterations={"dorian": frozenset(), "minor": frozenset({11})})
    # A dorian: G is the mode's seventh; G sharp is foreign, so is the carried G later.
    dorian = check_tune("A2 ^G2 G2 A2|", "4/4", "1/8", "Ador", rules)
    assert dorian.foreign == 2
    assert check_tune("A2 G2 E2 A2|", "4/4", "1/8", "Ador", rules).foreign == 0
    # A minor: the raised seventh is the corpus's own.
    assert check_tune("A2 ^G2 A4|", "4/4", "1/8", "Am", rules).foreign == 0
    # No rules for pitches: nothing is foreign.
    assert check_tune("A2 ^G2 A4|", "4/4", "1/8", "Ador", WellFormedRules()).foreign == 0


def test_repeated_bars_are_compared_as_they_sound_not_as_written() -> None:
    read = facts("cd ef g4|c d e f g4|cdef g4|G8|cdef g4|]")
    assert read.max_run == 3  # spaces do not make a bar different
    assert read.max_count == 4
    assert facts("F2 F2 F4|F2 F2 F4|", key="G").max_run == 2
    assert facts("F2 F2 F4|^F2 F2 F4|").max_run == 1  # F and F sharp differ
    rules = WellFormedRules(max_run=2, max_count=3)
    broken = check_tune("cd ef g4|c d e f g4|cdef g4|G8|cdef g4|]", "4/4", "1/8", "C", rules)
    assert (broken.run_excess, broken.count_excess) == (1, 1)


def test_grace_notes_are_ornaments_not_notes() -> None:
    read = facts("{g}c2 d2 e4|")
    assert read.notes == 3
    assert read.pitch_classes[7] == 0


def test_a_bar_of_rests_breaks_rules_only_where_they_forbid_one() -> None:
    body = "c8|z8|c8|]"
    assert check_tune(body, "4/4", "1/8", "C", WellFormedRules(rest_bars=False)).rest_bars == 1
    assert check_tune(body, "4/4", "1/8", "C", WellFormedRules()).rest_bars == 0
    assert check_tune(body, "4/4", "1/8", "C", WellFormedRules(rest_bars=False)).total == 1
