"""The form reader: parts, bars, repeats and endings as folk tune books write them."""

from __future__ import annotations

import pytest

from composeium_desktop.core.abcnotation import ABCError
from composeium_desktop.core.abcnotation.form import read_form, similarity, tune_form

A_PART = "|:DFA dAF|GBd gdB|AFA dAF|GFE EFG|DFA dAF|GBd gdB|AFA GEC|1 EDD D2A:|2 EDD D2e||"
B_PART = "|:fdf afd|gfe efg|fdf afd|ecA A2e|fdf afd|gfg bag|fdB AFA|1 EDD D2e:|2 EDD D3|]"


def test_a_double_jig_reads_as_two_repeated_eight_bar_parts() -> None:
    parts = read_form(A_PART + "\n" + B_PART, "6/8", "1/8", "D")
    assert [p.bar_count for p in parts] == [8, 8]
    assert all(p.repeated for p in parts)
    assert sorted(parts[0].endings) == ["1", "2"]
    figures = tune_form(A_PART + "\n" + B_PART, "6/8", "1/8", "D")
    assert figures.shape == "AABB"
    assert figures.aabb_shaped
    assert figures.b_distinct is True
    assert figures.b_above_a is True


def test_a_pickup_leads_into_its_part_and_the_closing_short_bar_completes_it() -> None:
    body = "A|:d2 cB A2 FA|d2 cB A2 FA|G2 BG F2 AF|E2 FE D3:|"
    (part,) = read_form(body, "4/4", "1/8", "D")
    assert part.bar_count == 4
    assert part.repeated


def test_a_repeat_without_an_opening_sign_repeats_from_the_last_section_end() -> None:
    # O'Neill's style: ":|" alone; the B part starts after it and repeats from there.
    body = "GABc dedB|dedB dBGB|GABc dedB|AGFG AGFD:|\ngabg agfe|dedB dBGB|gabg agfe|dBAF G4:|"
    figures = tune_form(body, "4/4", "1/8", "G")
    assert figures.part_bars == (4, 4)
    assert figures.shape == "AABB"
    assert not figures.aabb_shaped  # 4-bar parts are not the 8/16-bar parts of a dance tune


def test_double_colon_ends_one_repeated_part_and_opens_the_next() -> None:
    body = "|:" + "CDEF GABc|" * 7 + "c8::" + "cBAG FEDC|" * 7 + "C8:|"
    figures = tune_form(body, "4/4", "1/8", "C")
    assert figures.part_bars == (8, 8)
    assert figures.aabb_shaped
    assert figures.b_above_a is False  # the second part runs lower


def test_a_b_part_that_copies_the_a_part_is_no_b_part() -> None:
    part = "|:" + "DFA dAF|" * 7 + "D3 D3:|"
    figures = tune_form(part + part, "6/8", "1/8", "D")
    assert figures.shape == "AAAA"
    assert figures.b_distinct is False


def test_notes_compare_by_sound_not_spelling() -> None:
    # ^F under K:C sounds as F in K:D: the same tune written two ways is a copy.
    first = read_form("|:^F2 A2 d4:|", "4/4", "1/8", "C")[0].notes()
    second = read_form("|:F2 A2 d4:|", "4/4", "1/8", "D")[0].notes()
    assert similarity(first, second) == 1.0
    # an accidental carries through its bar, not into the next
    carried = read_form("^F2 F2 A4|F2 A2 d4|", "4/4", "1/8", "C")[0].notes()
    assert [pitch for pitch, _ in carried][:2] == [66, 66]
    assert carried[3][0] == 65


def test_an_unrepeated_tune_and_phrase_repetition() -> None:
    body = "CDEF GABc|cBAG FEDC|EFGA Bcde|edcB AGFE|CDEF GABc|cBAG FEDC|GABc defg|c8|]"
    figures = tune_form(body, "4/4", "1/8", "C")
    assert figures.shape == "A"
    assert figures.part_bars == (8,)
    assert not figures.aabb_shaped
    assert figures.b_distinct is None
    assert figures.phrase_repetition == pytest.approx(1.0)  # bars 5-6 repeat bars 1-2


def test_unreadable_text_raises() -> None:
    with pytest.raises(ABCError):
        read_form("|: A2 ]] B :|", "4/4", "1/8", "C")


def test_a_part_knows_where_it_is_written_endings_included() -> None:
    body = "D|:GAB c2d|e3 d2B|1 A3 A2D:|2 A3 A2B||\n|:c2e d2B|G3 G3:|\n"
    a, b = read_form(body, "6/8", "1/8", "G")
    assert a.source_span() == ((1, 1), (1, 37))  # the pickup to the second ending's ||
    assert b.source_span() == ((2, 3), (2, 16))


def test_a_second_ending_of_two_bars_belongs_to_its_part() -> None:
    """A second ending runs to the section end (as the bar tracker reads it), and a part
    written out again with its second ending only is the same part (AABA)."""
    a = "|:" + "GABc dedB|" * 5 + "GABc d2B|1 GABc dBG|ABcd e2d:|2 GABc d2c|BAGF G4||\n"
    b = "cdef gfed|" * 7 + "cdef gfeG||\n"
    again = "GABc dedB|" * 5 + "GABc d2B|GABc d2c|BAGF G4|]\n"
    parts = read_form(a + b + again, "4/4", "1/8", "G")
    assert [p.bar_count for p in parts] == [8, 8, 8]
    assert {k: len(v) for k, v in parts[0].endings.items()} == {"1": 2, "2": 2}
    assert tune_form(a + b + again, "4/4", "1/8", "G").shape == "AABA"
