"""What the decoder reads in the normalised text it has written: the bars a bar line has
closed (so that no bar is written too many times in a row) and whether the last note is the
tonic (a tune ends at home)."""

from __future__ import annotations

import re

from composeium_desktop.core.abcnotation import ABCError
from composeium_desktop.core.abcnotation.melody import ends_on_tonic as melody_ends_on_tonic

# A bar line: | || |] [| :| |: :|: :: (chords "[CEG]" and endings "[1" are not bar lines).
_BAR_LINE_RUN = re.compile(r":*\[?\|[|\]]*:*|::")


def completed_bars(text: str) -> list[str]:
    """The bars of a body that a bar line has closed, without white space (endings and
    repeats split bars too; the text after the last bar line is not a completed bar)."""
    parts = _BAR_LINE_RUN.split(text)
    return [bar for bar in (re.sub(r"\s+", "", part) for part in parts[:-1]) if bar]


def repeats_bar(before: str, after: str, limit: int) -> bool:
    """Whether going from `before` to `after` closes a bar that makes `limit` identical bars
    in a row."""
    bars = completed_bars(after)
    if len(bars) < limit or len(bars) <= len(completed_bars(before)):
        return False
    return len(set(bars[-limit:])) == 1


def ends_on_tonic(raw: str) -> bool:
    """Whether the last note of the text so far sounds the tonic C (the normalised key of every
    mode, where C is never altered by the key signature; the accidentals carried through its
    bar count), as the notation core judges every tune; text the lexer cannot read yet does not
    end there."""
    try:
        return melody_ends_on_tonic(raw, "C")
    except ABCError:
        return False


def last_note(piece: str) -> str:
    """The letter of the last note in a piece ("" if none, or if it holds quoted text)."""
    if '"' in piece:
        return ""
    return next((c for c in reversed(piece) if c in "ABCDEFGabcdefg"), "")
