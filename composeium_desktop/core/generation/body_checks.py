"""What the decoder reads in the normalised text it has written: the bars a bar line has
closed (so that no bar is written too many times in a row) and whether the last note is the
tonic (a tune ends at home)."""

from __future__ import annotations

import re

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


_NOT_NOTES = re.compile(r'"[^"]*"|![^!]*!|\[[A-Za-z]:[^\]]*\]|\{[^}]*\}')
_NOTE = re.compile(r"(\^{1,2}|_{1,2}|=)?([A-Ga-g])")


def ends_on_tonic(raw: str) -> bool:
    """Whether the last note of the text so far is the tonic C (the normalised key of every
    mode, where C is never altered by the key signature); grace notes do not count."""
    notes = _NOTE.findall(_NOT_NOTES.sub(" ", raw))
    if not notes:
        return False
    accidental, letter = notes[-1]
    return letter in "Cc" and accidental in ("", "=")


def last_note(piece: str) -> str:
    """The letter of the last note in a piece ("" if none, or if it holds quoted text)."""
    if '"' in piece:
        return ""
    return next((c for c in reversed(piece) if c in "ABCDEFGabcdefg"), "")
