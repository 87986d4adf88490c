"""Bars of a tune's text replaced by others, and chord symbols for new bars.

``replace_bars`` puts new notes into numbered bars (the bar lines and the spaces around the
notes stay); ``chords_for_bars`` gives new bars chords, for a tune that ``has_chords``
elsewhere, so a regenerated range is chorded like the rest of the tune.
"""

from __future__ import annotations

from composeium_desktop.core.abcnotation import ABCError, Tune
from composeium_desktop.core.abcnotation.bar_spans import BarSpan, TuneSpans, tune_spans


def content_span(text: str, bar: BarSpan) -> tuple[int, int]:
    """The offsets of a bar's notes (its text without the spaces and line breaks around)."""
    inner = text[bar.start : bar.close]
    lead = len(inner) - len(inner.lstrip())
    return bar.start + lead, bar.start + len(inner.rstrip())


def replace_bars(
    text: str, spans: TuneSpans, first: int, last: int, contents: list[str]
) -> tuple[str, int, int, str]:
    """``text`` with the notes of bars ``first``-``last`` replaced by ``contents``; also the
    changed span [start, end) of ``text`` and what replaced it."""
    bars = spans.numbered(first, last)
    spans_of = [content_span(text, bar) for bar in bars]
    start, end = spans_of[0][0], spans_of[-1][1]
    pieces: list[str] = []
    cursor = start
    for (bar_start, bar_end), content in zip(spans_of, contents, strict=True):
        pieces.append(text[cursor:bar_start])
        pieces.append(content)
        cursor = bar_end
    replacement = "".join(pieces)
    return text[:start] + replacement + text[end:], start, end, replacement


def has_chords(tune: Tune) -> bool:
    """Does the tune carry chord symbols (False where its melody does not read)?"""
    from composeium_desktop.core.harmony import read_melody

    try:
        return bool(read_melody(tune).symbols)
    except (ABCError, ValueError):
        return False


def chords_for_bars(
    text: str, first: int, last: int, start: int, replacement: str
) -> tuple[str, str]:
    """``text`` (a chorded tune with bars ``first``-``last`` rewritten: ``replacement`` from
    ``start``) and that replacement, with chord symbols in the new bars: the new tune
    harmonised again, its chords taken for the new bars only (the other bars keep their own).
    Unchanged where the new tune does not read."""
    from composeium_desktop.core.harmony import harmonise_tune_text

    try:
        harmonised = harmonise_tune_text(text, replace=True)
        chorded = tune_spans(harmonised)
        contents = [
            harmonised[slice(*content_span(harmonised, bar))]
            for bar in chorded.numbered(first, last)
        ]
        new_text, new_start, _, new_replacement = replace_bars(
            text, tune_spans(text), first, last, contents
        )
    except (ABCError, ValueError):
        return text, replacement
    if new_start != start:
        return text, replacement
    return new_text, new_replacement
