"""Where each bar of a tune is written in its text: the spans a feature replaces or selects.

Bars are numbered as a musician counts them in the order written: 1, 2, ... with a pickup (a
short bar that opens a section) not counted (number 0). A bar's text runs from just after the
bar line before it (or the start of the body) to its closing bar line, so the bar lines that
close the bar before it (``:|``, ``|:``, ``:| |:``) stay with the text before it. ``TuneSpans``
answers "which bars does this selection cover", "which part is this bar in" and "where do bars
9-16 start and end", in offsets of the whole text, so a caller can splice new bars in and keep
every other character as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.form import parts_of, read_bars
from composeium_desktop.core.abcnotation.header import parse_tune
from composeium_desktop.core.abcnotation.lexer import lex

_RANGE_RE = re.compile(r"^\s*(\d+)\s*(?:[-:]\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class BarSpan:
    """One written bar: its number (0 for a pickup), the offsets in the tune's text of its
    first character, of its closing bar line and just after it, the closing bar line as read
    (``|``, ``:|`` ...; "" where the body ends without one), and whether it is in a first or
    second ending."""

    number: int
    start: int
    close: int
    end: int
    closing: str
    in_ending: bool
    opens_repeat: bool


@dataclass(frozen=True)
class TuneSpans:
    """The bars of the first tune of a text, with its meter, unit and key."""

    body_start: int
    body_end: int
    meter: str
    unit: str
    key: str
    bars: tuple[BarSpan, ...]
    parts: tuple[tuple[int, int], ...]

    @property
    def bar_count(self) -> int:
        """Bars as numbered (no pickup)."""
        return max((bar.number for bar in self.bars), default=0)

    def numbered(self, first: int, last: int) -> tuple[BarSpan, ...]:
        """Bars ``first`` to ``last`` (ValueError, one line, for a range the tune lacks)."""
        if not 1 <= first <= last <= self.bar_count:
            raise ValueError(f"bars {first}-{last}: the tune has bars 1-{self.bar_count}")
        return tuple(bar for bar in self.bars if first <= bar.number <= last)

    def bars_between(self, start: int, end: int) -> tuple[int, int] | None:
        """The numbered bars a selection of text offsets [start, end) touches (a caret,
        start == end, touches the bar it is in); None when it touches none."""
        touched = [
            bar.number
            for bar in self.bars
            if bar.number and bar.start <= max(end, start + 1) - 1 and start < bar.end
        ]
        return (min(touched), max(touched)) if touched else None

    def part_at(self, offset: int) -> tuple[int, int] | None:
        """The bars of the part the text offset is in (the nearest bar's part)."""
        found = self.bars_between(offset, offset)
        if found is None:
            return None
        for first, last in self.parts:
            if first <= found[0] <= last:
                return first, last
        return None


def parse_bar_range(text: str) -> tuple[int, int]:
    """ "9-16" -> (9, 16), "5" -> (5, 5); ValueError (one line) otherwise."""
    match = _RANGE_RE.match(text or "")
    if not match:
        raise ValueError(f"bar range {text!r}: write it like 9-16 (or one bar, 9)")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first < 1 or last < first:
        raise ValueError(f"bar range {text!r}: bars count from 1, the first before the last")
    return first, last


def _offsets(body: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(body):
        if char == "\n":
            starts.append(index + 1)
    return starts


def tune_spans(text: str) -> TuneSpans:
    """The spans of the first tune in ``text`` (lines ending in "\\n"). Raises ABCError where
    the body does not lex, ValueError where the text is not one the offsets can address."""
    tune = parse_tune(text)
    lines = text.splitlines(keepends=True)
    body_start = sum(len(line) for line in lines[: max(tune.body_line - 1, 0)])
    body = tune.body
    if text[body_start : body_start + len(body)] != body:
        raise ValueError("the tune's lines must end in a plain line feed")
    starts = _offsets(body)

    def at(line: int, col: int) -> int:
        return body_start + starts[line - 1] + col - 1

    bar_ends = {
        at(tok.line, tok.col): at(tok.line, tok.col) + len(tok.text)
        for tok in lex(body)
        if tok.kind == "bar"
    }
    read = read_bars(body, tune.meter, tune.unit, tune.key)
    spans: list[BarSpan] = []
    number, previous_end, previous_close = 0, body_start, body_start
    for bar in read:
        note = at(*bar.start)
        before = [end for end in bar_ends.values() if previous_end <= end <= note]
        start = max(before, default=previous_end)
        # The bar lines before it (``:|:``, ``:| |:``, a leading ``|:``) open a repeat.
        opens = text[previous_close:start].rstrip().endswith(":")
        close = at(*bar.end) if bar.closing else body_start + len(body.rstrip())
        close = max(close, note)
        end = bar_ends.get(close, close)
        if not bar.is_pickup:
            number += 1
        spans.append(
            BarSpan(
                0 if bar.is_pickup else number,
                start,
                close,
                end,
                bar.closing,
                bool(bar.ending),
                opens,
            )
        )
        previous_end, previous_close = end, close
    numbers = {id(bar): span.number for bar, span in zip(read, spans, strict=True)}
    parts = []
    for part in parts_of(read):
        members = [*part.bars, *(bar for ending in part.endings.values() for bar in ending)]
        counted = [numbers[id(bar)] for bar in members if numbers[id(bar)]]
        if counted:
            parts.append((min(counted), max(counted)))
    return TuneSpans(
        body_start,
        body_start + len(body),
        tune.meter,
        tune.unit,
        tune.key,
        tuple(spans),
        tuple(parts),
    )


__all__ = ["ABCError", "BarSpan", "TuneSpans", "parse_bar_range", "tune_spans"]
