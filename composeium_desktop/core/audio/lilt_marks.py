"""What a tune's text says about how it is played: the marks the lilt needs, read with the
notation core's lexer (core.abcnotation), never by a reader of its own.

* the genre (R: field), which sets the default swing;
* `%%MIDI ratio n m` (abc2midi's meaning: the lengths of the notes of a broken rhythm `a>b`,
  and the ratio a hornpipe's pairs of notes are swung at);
* the first event of every bar, so that the beat can be counted from the bar lines (pickups
  included), and whether the bar line closing that bar ends a section;
* broken rhythms (`>` `<` `>>` ...): the notes either side of each;
* rolls (`~`, `!roll!`, abc2midi's `R`).

Events are named by their (line, column) in the tune's text, as the engraver's
`Performance.positions` names its elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation import ABCError, lex, parse_tune
from composeium_desktop.core.abcnotation.lexer import (
    BAR,
    BROKEN,
    CHORD,
    CHORD_END,
    DECO,
    GRACE,
    GRACE_END,
    MREST,
    NOTE,
    REST,
    Token,
)
from composeium_desktop.core.render.scan import first_tune

Position = tuple[int, int]

ROLL_DECORATIONS = frozenset({"~", "roll", "R"})
_RATIO = re.compile(
    r"^[ \t]*(?:%%MIDI|I:[ \t]*MIDI[ \t]*=?)[ \t]+ratio[ \t]+(\d+)[ \t]+(\d+)"
    r"|\[I:[ \t]*MIDI[ \t]*=?[ \t]*ratio[ \t]+(\d+)[ \t]+(\d+)[ \t]*\]",
    re.MULTILINE,
)
# Bar lines after which a short bar is the end of a section (left-aligned on the beat); a
# short bar closed by a plain `|` or by `|:` is a pickup into what follows.
_OPENING_BARS = frozenset({"|", ".|", "|:", "||:", "[|:"})


@dataclass(frozen=True)
class BarStart:
    """The first event of a bar and whether the bar line that closes the bar ends a section."""

    position: Position
    closes_section: bool
    first_in_tune: bool


@dataclass(frozen=True)
class BrokenPair:
    """`a>b` (mark ">") or `a<b`: the events before and after the mark."""

    before: Position
    after: Position
    mark: str


@dataclass(frozen=True)
class TuneMarks:
    genre: str = ""
    ratio: tuple[int, int] | None = None
    bars: tuple[BarStart, ...] = ()
    broken: tuple[BrokenPair, ...] = ()
    rolls: tuple[Position, ...] = ()


def genre_of(rhythm: str | None) -> str:
    """The R: field in lower case, single-spaced ("Slip Jig" -> "slip jig")."""
    return " ".join((rhythm or "").lower().replace("-", " ").split())


def midi_ratio(text: str) -> tuple[int, int] | None:
    """The first `%%MIDI ratio n m` (or `I:MIDI= ratio n m`) in the text, when both are > 0."""
    for match in _RATIO.finditer(text):
        numbers = [int(g) for g in match.groups() if g is not None]
        if len(numbers) == 2 and numbers[0] > 0 and numbers[1] > 0:
            return numbers[0], numbers[1]
    return None


def read_marks(abc: str) -> TuneMarks:
    """The marks of the first tune in `abc` (none when its body cannot be read)."""
    text = first_tune(abc)
    tune = parse_tune(text)
    genre, ratio = genre_of(tune.rhythm), midi_ratio(text)
    try:
        tokens = lex(tune.body, tune.body_line)
    except ABCError:
        return TuneMarks(genre, ratio)
    walker = _Walker()
    for token in tokens:
        walker.step(token)
    walker.close_bar(None)
    return TuneMarks(genre, ratio, tuple(walker.bars), tuple(walker.broken), tuple(walker.rolls))


class _Walker:
    """One pass over the tokens (a small state machine: chords, grace groups, pending marks)."""

    def __init__(self) -> None:
        self.bars: list[BarStart] = []
        self.broken: list[BrokenPair] = []
        self.rolls: list[Position] = []
        self._bar_first: Position | None = None
        self._bar_open = True
        self._in_chord = self._in_grace = False
        self._previous: Position | None = None
        self._pending_broken: str | None = None
        self._pending_roll = False

    def step(self, token: Token) -> None:
        kind = token.kind
        position = (token.line, token.col)
        if kind == BAR:
            self.close_bar(str(token.data[0]))
        elif kind == GRACE:
            self._in_grace = True
        elif kind == GRACE_END:
            self._in_grace = False
        elif kind == CHORD_END:
            self._in_chord = False
        elif kind == BROKEN:
            self._pending_broken = token.text if self._previous is not None else None
        elif kind == DECO and token.data in ROLL_DECORATIONS:
            self._pending_roll = True
        elif kind == NOTE and (self._in_grace or self._in_chord):
            self._start_bar(position)  # a grace group can open a bar
        elif kind in (NOTE, REST, MREST, CHORD):
            self._event(position, rollable=kind == NOTE)
            self._in_chord = kind == CHORD

    def close_bar(self, bar: str | None) -> None:
        if self._bar_first is not None:
            closes = bar is None or bar not in _OPENING_BARS
            self.bars.append(BarStart(self._bar_first, closes, not self.bars))
        self._bar_first = None
        self._bar_open = True

    def _start_bar(self, position: Position) -> None:
        if self._bar_open:
            self._bar_first = position
            self._bar_open = False

    def _event(self, position: Position, rollable: bool) -> None:
        self._start_bar(position)
        if self._pending_broken is not None and self._previous is not None:
            self.broken.append(BrokenPair(self._previous, position, self._pending_broken))
        if self._pending_roll and rollable:
            self.rolls.append(position)
        self._pending_broken = None
        self._pending_roll = False
        self._previous = position
