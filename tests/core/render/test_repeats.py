"""Repeats as ABC 2.1 reads them, engraved, timed and played alike (issue 19)."""

from __future__ import annotations

import re

import pytest

from composeium_desktop.core.audio.midi import performance_to_midi
from composeium_desktop.core.render import Renderer

HEAD = "X:1\nT:Repeats\nM:4/4\nL:1/8\nQ:1/4=120\nK:G\n"
A_PART = "GABc dedB|GABc d4"
B_PART = "efga gfed|efga g4"
A_NOTES, B_NOTES = 13, 13
BAR_MS = 2000.0  # 4/4 at 120 quarter notes per minute


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


@pytest.mark.parametrize(
    ("body", "notes"),
    [
        # O'Neill's style, and what the model writes: no |: at all.
        (f"{A_PART}:|\n{B_PART}:|\n", 2 * A_NOTES + 2 * B_NOTES),
        (f"{A_PART}:|{B_PART}:|\n", 2 * A_NOTES + 2 * B_NOTES),
        (f"|:{A_PART}:|\n|:{B_PART}:|\n", 2 * A_NOTES + 2 * B_NOTES),
        (f"|:{A_PART}::{B_PART}:|\n", 2 * A_NOTES + 2 * B_NOTES),
        # From the last double bar: the A part once, the B part twice.
        (f"{A_PART}||{B_PART}:|\n", A_NOTES + 2 * B_NOTES),
        (f"{A_PART}:|\n{B_PART}|]\n", 2 * A_NOTES + B_NOTES),
    ],
)
def test_repeats_play_as_abc_says(renderer, body, notes):
    performance = renderer.perform(HEAD + body)
    midi = performance_to_midi(performance)
    assert len(midi.notes) == notes
    bars = 2 * (notes // A_NOTES)  # two bars a part
    assert midi.duration_ms == pytest.approx(bars * BAR_MS)


def test_second_repeat_without_start_is_engraved_and_followed_by_the_cursor(renderer):
    abc = HEAD + f"{A_PART}:|\n{B_PART}:|\n"
    result = renderer.render(abc)
    svg = "".join(result.pages)
    # Two repeat ends and the implied repeat start of the B part are drawn.
    assert len(re.findall(r'class="barLine"', svg)) >= 4
    b_first = result.element_at(8, 1)  # the first note of the B part (line 8, column 1)
    assert b_first is not None
    onsets = sorted(t.on_ms for t in result.timemap if t.id == b_first)
    assert onsets == pytest.approx([4 * BAR_MS, 6 * BAR_MS])


def test_first_and_second_endings_after_an_implied_start(renderer):
    abc = HEAD + f"{A_PART}:|\nefga gfed|1 efga g4:|2 efga gedB|]\n"
    midi = performance_to_midi(renderer.perform(abc))
    # A twice (26), B's first bar twice (16), first ending (5) then second ending (8).
    assert len(midi.notes) == 2 * A_NOTES + 16 + 5 + 8
    assert midi.duration_ms == pytest.approx(8 * BAR_MS)
