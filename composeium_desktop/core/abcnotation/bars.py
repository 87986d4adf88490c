"""Bar lengths, in whole notes, for whole bodies and incrementally (for constrained decoding).

A bar's length counts notes, rests and chords (a chord lasts as long as its first note times the
chord's multiplier), with tuplets and broken rhythm applied; grace notes take no time.  The
meter and unit may change inside the body (``[M:3/4]``, ``L:1/16`` lines); a change before the
first note of a bar applies to that bar, a meter change inside a bar from the next bar.

Pickups and section ends: the first bar of the tune and the first bar after a section end may be
short (an anacrusis); a bar closed by a section end (any bar line with ``:`` in it, ``||``,
``|]``, ``[|``, the end of the body) may be short too (it completes the pickup).  A line break
(not continued with ``\\``) ends a bar that is full, and ends a short bar as a phrase end (the
Essen collection writes one phrase per line and leaves out the bar line at its end).  Every other
bar must match the meter exactly; a bar that is too long is always wrong.  A multi-measure rest
``Z4`` fills its bar(s).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import (
    default_unit_length,
    meter_fraction,
    normalise_meter,
    parse_unit,
)
from composeium_desktop.core.abcnotation.lexer import (
    BAR,
    BROKEN,
    CHORD,
    CHORD_END,
    CONT,
    ENDING,
    FIELD,
    FIELD_LINE,
    GRACE,
    GRACE_END,
    MREST,
    NEWLINE,
    NOTE,
    REST,
    SLUR,
    SLUR_END,
    TUPLET,
    Token,
    check_structure,
    lex,
)

_ZERO = Fraction(0)
_IN_CHORD = frozenset({NOTE, REST, "tie", "deco", "symbol", "annot", "space", SLUR, SLUR_END})
SECTION_END_BARS = frozenset({"||", "|]", "[|", "||]"})


def is_section_end_bar(bar: str) -> bool:
    """True for bar lines that end a section: repeats (anything with ``:``), ``||``, ``|]``."""
    return ":" in bar or bar in SECTION_END_BARS


@dataclass(frozen=True)
class BarInfo:
    """One bar: its length and the meter's length (both in whole notes; expected None = free).

    ``line``/``col`` locate the bar's first note; ``end_line``/``end_col`` its closing bar line
    (the end of the body for a last bar without one).  ``rest_bars`` is the count of a
    multi-measure rest (``Z4`` -> 4), 0 otherwise.
    """

    index: int
    length: Fraction
    expected: Fraction | None
    line: int
    col: int
    is_pickup: bool
    is_section_end: bool
    end_line: int = 0
    end_col: int = 0
    bar_line: str = ""
    rest_bars: int = 0

    @property
    def is_error(self) -> bool:
        """Wrong length for the meter, pickups and short section-final bars excepted."""
        if self.expected is None or self.rest_bars or self.length == self.expected:
            return False
        if self.length > self.expected:
            return True
        return not (self.is_pickup or self.is_section_end)


class _BarState:
    """Mutable analysis state; :class:`BarTracker` copies it before every change."""

    def __init__(self, meter: str, unit: Fraction | None) -> None:
        self.set_meter(meter)
        self.unit = unit if unit is not None else default_unit_length(meter)
        self.elapsed = _ZERO
        self.has_music = False
        self.start: tuple[int, int] = (0, 0)
        self.rest_bars = 0
        self.tup_left = 0
        self.tup_factor = Fraction(1)
        self.broken_next: Fraction | None = None
        self.last_dur = _ZERO
        self.chord: Token | None = None
        self.chord_first: Fraction | None = None
        self.grace: Token | None = None
        self.slurs = 0
        self.section_start = True
        self.bars_done = 0
        self.continued = False
        self.next_meter: str | None = None
        # Where the text stands in the tune's form (see ``close_bar``): the part being written
        # (0 the first), its bars as a musician counts them (no pickup; a second ending
        # counts from where the first began), the ending being written ("" none, "1", "2"...)
        # and whether a first ending has just closed with a repeat (a second may follow).
        self.part_index = 0
        self.part_bars = 0
        self.parts_done: tuple[int, ...] = ()  # the bars of each part already ended
        self.ending = ""
        self.ending_start = 0
        self.awaiting_second = False

    def set_meter(self, meter: str) -> None:
        self.meter = meter_fraction(meter)
        norm = normalise_meter(meter)
        num = int(norm.split("/")[0]) if norm != "none" else 0
        self.compound = num in (6, 9, 12) or (num > 3 and num % 3 == 0)

    def copy(self) -> _BarState:
        new = _BarState.__new__(_BarState)
        new.__dict__ = self.__dict__.copy()  # a flat dict copy: cheap enough per candidate
        return new

    def add(self, dur: Fraction, tok: Token) -> None:
        if self.tup_left:
            dur *= self.tup_factor
            self.tup_left -= 1
        if self.broken_next is not None:
            dur *= self.broken_next
            self.broken_next = None
        if not self.has_music:
            self.has_music = True
            self.start = (tok.line, tok.col)
            if self.awaiting_second:  # music after a first ending, no second: the part ended
                self.next_part()
        self.elapsed += dur
        self.last_dur = dur

    def bar_ok(self, bar: str) -> bool:
        """Whether ``bar`` may close the current bar (see the module docstring)."""
        if self.chord is not None or self.grace is not None or self.tup_left:
            return False
        if self.meter is None or not self.has_music or self.rest_bars:
            return True
        if self.elapsed == self.meter:
            return True
        if self.elapsed > self.meter:
            return False
        return self.section_start or is_section_end_bar(bar)

    def newline_closes(self) -> bool:
        """Whether a line break (not continued with ``\\``) ends the current bar.

        It does when the bar is full, and after a short bar, which then ends a phrase (as
        in the Essen collection, whose lines are phrases without a final bar line).
        """
        return (
            not self.continued
            and self.has_music
            and self.meter is not None
            and not self.tup_left
            and not self.rest_bars
            and self.elapsed <= self.meter
        )

    def next_part(self) -> None:
        self.parts_done = (*self.parts_done, self.part_bars)
        self.part_index += 1
        self.part_bars = 0
        self.ending = ""
        self.awaiting_second = False

    def start_ending(self, ending: str) -> None:
        """An ending (``|1``, ``:|2``, ``[2``) begins: the first remembers where the part
        stood, a later one goes back there (it replaces the first)."""
        number = ending.split(",")[0].split("-")[0]
        if number == "1" or not self.awaiting_second:
            self.ending_start = self.part_bars
        else:
            self.part_bars = self.ending_start
        self.ending = number
        self.awaiting_second = False

    def _close_form(self, bar: str) -> None:
        """The form position after ``bar`` closes the current bar (as ``form.parts_of`` reads
        parts: a section end ends a part that has bars; a repeat closing a first ending waits
        for the second)."""
        short = self.meter is not None and not self.rest_bars and self.elapsed < self.meter
        if self.has_music and not (self.section_start and short):
            self.part_bars += max(self.rest_bars, 1)
        if not is_section_end_bar(bar):
            return
        if self.ending == "1" and bar.startswith(":"):
            self.ending, self.awaiting_second = "", True
        elif self.part_bars > 0 or self.ending:
            self.next_part()

    def close_bar(self, bar: str, ending: str = "") -> None:
        self._close_form(bar)
        if ending:
            self.start_ending(ending)
        if self.has_music:
            self.section_start = False
            self.bars_done += max(self.rest_bars, 1)
        if is_section_end_bar(bar):
            self.section_start = not ending  # a second ending is no new section
        if self.next_meter is not None:
            self.set_meter(self.next_meter)
            self.next_meter = None
        self.elapsed = _ZERO
        self.has_music = False
        self.rest_bars = 0
        self.tup_left = 0

    def step(self, tok: Token, strict: bool) -> None:
        """Advance over one token; raises ABCError for structure errors (and, if strict, bars)."""
        kind = tok.kind
        if self.chord is not None and kind not in _IN_CHORD and kind != CHORD_END:
            raise ABCError("unclosed chord: [ needs a closing ]", self.chord.line, self.chord.col)
        if self.grace is not None and kind not in (
            NOTE,
            GRACE_END,
            "tie",
            "space",
            CHORD,
            CHORD_END,
            "deco",
            BROKEN,
            TUPLET,
        ):
            raise ABCError(
                "unclosed grace notes: { needs a closing }", self.grace.line, self.grace.col
            )
        if kind in (NOTE, REST):
            if self.grace is not None:
                return
            dur = self.unit * tok.length  # type: ignore[operator]
            if self.chord is not None:
                if self.chord_first is None:
                    self.chord_first = dur
                return
            self.add(dur, tok)
        elif kind == BAR:
            bar = tok.data[0]  # type: ignore[index]
            if strict and not self.bar_ok(bar):
                raise ABCError(self.bar_message(), tok.line, tok.col)
            self.close_bar(bar, tok.data[1])  # type: ignore[index]
            return
        elif kind == ENDING:
            if not self.has_music:
                self.section_start = False
            self.start_ending(tok.data or "1")  # type: ignore[arg-type]
        elif kind == CHORD:
            if self.grace is None:
                if self.chord is not None:
                    raise ABCError("a chord cannot contain another chord", tok.line, tok.col)
                self.chord, self.chord_first = tok, None
        elif kind == CHORD_END:
            if self.grace is not None:
                return
            if self.chord is None:
                raise ABCError("stray ']' (no chord is open)", tok.line, tok.col)
            first, self.chord = self.chord_first, None
            if first is None:
                raise ABCError("empty chord: a chord needs a note", tok.line, tok.col)
            self.add(first * tok.length, tok)  # type: ignore[operator]
        elif self.grace is not None and kind in (TUPLET, BROKEN):
            return  # rhythm inside grace notes takes no time either
        elif kind == TUPLET:
            p, q, r = tok.data  # type: ignore[misc]
            if q is None:
                q = 3 if p in (2, 4, 8) else 2 if p in (3, 6) else (3 if self.compound else 2)
            self.tup_factor = Fraction(q, p)
            self.tup_left = r if r is not None else p
        elif kind == BROKEN:
            n = len(tok.text)
            short = Fraction(1, 2**n)
            long = 2 - short
            first, second = (long, short) if tok.text[0] == ">" else (short, long)
            self.elapsed += self.last_dur * (first - 1)
            self.last_dur *= first
            self.broken_next = second
        elif kind == GRACE:
            if self.grace is not None:
                raise ABCError("grace notes cannot nest", tok.line, tok.col)
            self.grace = tok
        elif kind == GRACE_END:
            if self.grace is None:
                raise ABCError("stray '}' (no grace notes are open)", tok.line, tok.col)
            self.grace = None
        elif kind == MREST:
            if not self.has_music:
                self.has_music = True
                self.start = (tok.line, tok.col)
                if self.awaiting_second:
                    self.next_part()
            self.rest_bars += tok.data  # type: ignore[operator]
            if self.meter is not None:
                self.elapsed = self.meter * self.rest_bars
        elif kind == SLUR:
            self.slurs += 1
        elif kind == SLUR_END:
            self.slurs = max(self.slurs - 1, 0)
        elif kind in (FIELD, FIELD_LINE):
            self.field(tok)
        elif kind == NEWLINE:
            if self.chord is not None:
                raise ABCError(
                    "unclosed chord: [ needs a closing ]", self.chord.line, self.chord.col
                )
            if self.newline_closes():
                self.close_bar("" if self.elapsed == self.meter else "||")
            self.continued = False
        elif kind == CONT:
            self.continued = True
        if strict and self.meter is not None and not self.rest_bars and self.elapsed > self.meter:
            raise ABCError(self.bar_message(), tok.line, tok.col)

    def field(self, tok: Token) -> None:
        letter, value = tok.data  # type: ignore[misc]
        try:
            if letter == "M" and self.has_music:
                meter_fraction(value)  # check it now, apply it with the next bar
                self.next_meter = value
            elif letter == "M":
                self.set_meter(value)
            elif letter == "L":
                self.unit = parse_unit(value)
        except ABCError as exc:
            raise ABCError(exc.message, tok.line, tok.col) from None

    def bar_message(self) -> str:
        return f"bar is {_fmt(self.elapsed)} long, the meter needs {_fmt(self.meter)}"


def _fmt(value: Fraction | None) -> str:
    return "free" if value is None else f"{value.numerator}/{value.denominator}"


def bar_lengths(body: str, meter: str, unit: str | Fraction | None = None) -> list[BarInfo]:
    """Every bar of ``body`` with its length (see the module docstring for the rules).

    ``unit`` is the L: value (``"1/8"``) or None for the meter's default.  Bars without notes
    or rests (``|:`` at the start, ``||`` after a repeat) are not listed.  Raises
    :class:`ABCError` when the body does not lex.
    """
    tokens = lex(body)
    unit_value = parse_unit(unit) if isinstance(unit, str) else unit
    state = _BarState(meter, unit_value)
    bars: list[BarInfo] = []

    def record(bar: str, line: int, col: int, section_end: bool) -> None:
        expected = state.meter
        rest_bars = state.rest_bars
        if rest_bars and expected is not None:
            expected = expected * rest_bars
        pickup = state.section_start and expected is not None and state.elapsed < expected
        bars.append(
            BarInfo(
                index=len(bars),
                length=state.elapsed,
                expected=expected,
                line=state.start[0],
                col=state.start[1],
                is_pickup=pickup,
                is_section_end=section_end,
                end_line=line,
                end_col=col,
                bar_line=bar,
                rest_bars=rest_bars,
            )
        )

    for tok in tokens:
        if tok.kind == BAR and state.has_music:
            bar = tok.data[0]  # type: ignore[index]
            record(bar, tok.line, tok.col, is_section_end_bar(bar))
        elif tok.kind == NEWLINE and state.newline_closes():
            record("\n", tok.line, tok.col, state.elapsed != state.meter)
        state.step(tok, False)
    if state.has_music:
        last = tokens[-1]
        record("", last.line, last.col + len(last.text), True)
    return bars


def bar_errors(body: str, meter: str, unit: str | Fraction | None = None) -> list[BarInfo]:
    """The bars of ``body`` whose length does not fit the meter (:attr:`BarInfo.is_error`)."""
    return [bar for bar in bar_lengths(body, meter, unit) if bar.is_error]


__all__ = ["BarInfo", "bar_errors", "bar_lengths", "check_structure", "is_section_end_bar"]
