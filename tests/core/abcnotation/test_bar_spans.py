"""Bar spans: each bar's place in the text, numbered as a musician counts (pickup not counted),
with the bars a selection covers and the part a bar is in."""

from __future__ import annotations

import pytest

from composeium_desktop.core.abcnotation.bar_spans import parse_bar_range, tune_spans

HEADER = "X:1\nT:T\nM:6/8\nL:1/8\nK:D\n"
PICKUP = HEADER + "A|FAF GBG|FAF E2A:|\n|:dcd ecA|dcB A3:|\n"


def test_bars_are_numbered_without_the_pickup_and_span_their_notes() -> None:
    spans = tune_spans(PICKUP)
    assert [b.number for b in spans.bars] == [0, 1, 2, 3, 4]
    texts = [PICKUP[b.start : b.close] for b in spans.bars]
    assert texts == ["A", "FAF GBG", "FAF E2A", "dcd ecA", "dcB A3"]
    assert [PICKUP[b.close : b.end] for b in spans.bars] == ["|", "|", ":|", "|", ":|"]
    assert [b.opens_repeat for b in spans.bars] == [False, False, False, True, False]
    assert spans.parts == ((1, 2), (3, 4)) and spans.bar_count == 4


def test_a_selection_covers_the_bars_it_touches_and_a_caret_finds_its_part() -> None:
    spans = tune_spans(PICKUP)
    bar2, bar3 = spans.numbered(2, 3)
    assert spans.bars_between(bar2.start + 1, bar3.start + 1) == (2, 3)
    assert spans.bars_between(bar2.start, bar2.close) == (2, 2)
    assert spans.bars_between(0, 4) is None  # the header
    assert spans.part_at(bar3.start + 2) == (3, 4)
    with pytest.raises(ValueError, match="bars 1-4"):
        spans.numbered(3, 5)


def test_a_leading_repeat_and_endings() -> None:
    text = HEADER + "|:FAF GBG|1 FAF E3:|2 FAF D3||\n"
    spans = tune_spans(text)
    assert [b.number for b in spans.bars] == [1, 2, 3]
    assert spans.bars[0].opens_repeat
    assert [b.in_ending for b in spans.bars] == [False, True, True]
    assert text[spans.bars[0].start : spans.bars[0].close] == "FAF GBG"


@pytest.mark.parametrize(
    ("text", "expected"), [("9-16", (9, 16)), (" 3 ", (3, 3)), ("1:8", (1, 8))]
)
def test_bar_ranges(text: str, expected: tuple[int, int]) -> None:
    assert parse_bar_range(text) == expected


@pytest.mark.parametrize("text", ["", "0-3", "8-2", "a-b", "1-2-3"])
def test_bad_bar_ranges(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bar_range(text)
