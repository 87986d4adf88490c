"""Incremental lexing and bar tracking for constrained decoding: :class:`BarTracker`.

A tracker is immutable: ``feed(text)`` returns a new tracker (or raises :class:`ABCError`), so
a decoder can try every candidate piece from the same state.  Text may be cut anywhere (a
piece may end inside a note, a quote or a decoration): the last token, which more text could
still extend (``A`` -> ``A2``, ``|`` -> ``||``, ``"Am`` -> ``"Am7"``), is kept as
:attr:`BarTracker.pending`; the properties describe the text as if it ended there.

With ``strict=True`` (the default) ``feed`` also rejects a bar line where the bar has the wrong
length and any note that makes a bar too long (pickups and short section-final bars are fine,
see :mod:`composeium_desktop.core.abcnotation.bars`).  A bar line that could still grow
(``|`` -> ``||``) is judged once it is complete: ``feed("|")`` on a short bar is accepted, and
the next piece then has to make it a section end (``|``, ``]``) or is rejected.  Likewise a
note still pending (``A`` may become ``A/`` or ``A2``) only fails at once when the bar is
already full; a note that turns out too long fails with the piece that completes it.
"""

from __future__ import annotations

import re
from fractions import Fraction

from composeium_desktop.core.abcnotation.bars import _BarState
from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import parse_unit
from composeium_desktop.core.abcnotation.lexer import (
    ANNOT,
    BAR,
    CHORD,
    CHORD_END,
    DECO,
    ENDING,
    FIELD,
    GRACE_END,
    NEWLINE,
    NOTE,
    REST,
    SLUR_END,
    SPACE,
    SYMBOL,
    TIE,
    Token,
    raw_tokens,
)

_GROWING = frozenset({NOTE, REST, CHORD_END})  # their length may still change
_FINAL_KINDS = frozenset({NEWLINE, FIELD, SYMBOL, ANNOT, GRACE_END, SLUR_END, TIE})
# Text at the end of the input that is not an error yet: more text may complete it.
_INCOMPLETE = re.compile(
    r'(?P<quote>"[^"\n]*)$|(?P<decoration>![^!\s|]*|\+[^+\s|]*)$|(?P<field>\[[A-Za-z+]:[^\]\n]*)$'
    r"|(?P<accidental>\^\^?|__?|=)$|(?P<bar>:+[.\[]?)$|(?P<fieldline>[A-Za-z+]:[^\n]*)$"
)


_ENDING_TAIL = re.compile(r"[\[|]\d+(?:[-,]\d+)*[-,]$")
_FIELD_START = re.compile(r"\[[A-Za-z+]?$")


def _offset(text: str, line0: int, col0: int, line: int, col: int) -> int:
    """Index in ``text`` (which starts at ``line0``/``col0``) of position ``line``/``col``."""
    if line == line0:
        return col - col0
    start = 0
    for _ in range(line - line0):
        start = text.index("\n", start) + 1
    return start + col - 1


def _drop_sentinel(tokens: list[Token], sentinel: bool) -> list[Token]:
    """Remove the space put in front of text that starts inside a line."""
    if sentinel and tokens:
        first = tokens[0]
        if first.text == " ":
            tokens.pop(0)
        else:
            tokens[0] = first._replace(text=first.text[1:], col=first.col + 1)
    return tokens


def _scan(buf: str, line: int, col: int) -> tuple[list[Token], int, str | None]:
    """Tokens of ``buf`` that are certainly complete, where the rest starts, and why it waits."""
    sentinel = col > 1  # keep "K:" inside a line from reading as a field line
    text = " " + buf if sentinel else buf
    start_col = col - 1 if sentinel else col
    if _ENDING_TAIL.search(text):  # "|1-" or "[1," may become "|1-3" or "[1,2"
        tokens = raw_tokens(text[:-1], line, start_col)
        if tokens and tokens[-1].kind in (BAR, ENDING):
            last = tokens.pop()
            cut = _offset(text, line, start_col, last.line, last.col)
            return _drop_sentinel(tokens, sentinel), max(cut - sentinel, 0), None
    maybe_field = _FIELD_START.search(text)
    if maybe_field is not None:  # "[K" may be a chord or the start of "[K:G]"
        start = maybe_field.start()
        try:
            head = raw_tokens(text[: start + 1], line, start_col)
        except ABCError:
            head = []
        if head and head[-1].kind == CHORD:
            return _drop_sentinel(head[:-1], sentinel), max(start - sentinel, 0), None
    tokens = []
    try:
        raw_tokens(text, line, start_col, tokens)
        cut, reason = len(text), None
    except ABCError as exc:
        cut = _offset(text, line, start_col, exc.line, exc.column)
        match = _INCOMPLETE.match(text, cut)
        if match is None:
            raise
        reason = match.lastgroup
    tokens = _drop_sentinel(tokens, sentinel)
    if reason is None and tokens:
        last = tokens[-1]
        final = last.kind in _FINAL_KINDS or (
            last.kind == DECO and len(last.text) > 1 and last.text[-1] in "!+"
        )
        if not final:
            cut = len(text) - len(last.text)
            tokens.pop()
    offset = cut - (1 if sentinel else 0)
    return tokens, max(offset, 0), reason


def _advance(line: int, col: int, text: str) -> tuple[int, int]:
    newlines = text.count("\n")
    if newlines:
        return line + newlines, len(text) - text.rindex("\n")
    return line, col + len(text)


class BarTracker:
    """Immutable incremental state of an ABC body being written.

    ``BarTracker.start("6/8", "1/8").feed("|:A2B c2d|")`` -> a new tracker.  See the module
    docstring; properties: :attr:`bar_elapsed`, :attr:`bar_expected`, :attr:`bar_remaining`,
    :attr:`open_constructs`, :attr:`bars_completed`, :attr:`pending`; checks:
    :meth:`bar_line_legal`, :meth:`can_feed`, :meth:`can_end`.
    """

    __slots__ = ("_state", "pending", "line", "col", "strict", "_reason", "_view")

    def __init__(
        self, state: _BarState, pending: str, line: int, col: int, strict: bool, reason: str | None
    ) -> None:
        self._state = state
        self.pending = pending
        self.line = line
        self.col = col
        self.strict = strict
        self._reason = reason
        self._view: _BarState | None = None

    @classmethod
    def start(
        cls, meter: str = "4/4", unit: str | Fraction | None = None, *, strict: bool = True
    ) -> BarTracker:
        """A tracker at the start of a body in ``meter`` with unit length ``unit`` (L:)."""
        unit_value = parse_unit(unit) if isinstance(unit, str) else unit
        return cls(_BarState(meter, unit_value), "", 1, 1, strict, None)

    def feed(self, text: str) -> BarTracker:
        """The tracker after ``text``; raises :class:`ABCError` if the text cannot continue."""
        if not text:
            return self
        tokens, cut, reason = _scan(self.pending + text, self.line, self.col)
        state = self._state.copy()
        for tok in tokens:
            state.step(tok, self.strict)
        buf = self.pending + text
        line, col = _advance(self.line, self.col, buf[:cut])
        new = BarTracker(state, buf[cut:], line, col, self.strict, reason)
        if self.strict:
            new._view_state(strict=True)
        return new

    def finish(self) -> BarTracker:
        """The tracker with its pending text read as complete; raises if anything is left open."""
        view = self._view_state(strict=self.strict)
        if self._reason is not None:
            raise ABCError(f"unfinished {self._reason}", self.line, self.col)
        if view.chord is not None:
            raise ABCError("unclosed chord: [ needs a closing ]", view.chord.line, view.chord.col)
        if view.grace is not None:
            raise ABCError(
                "unclosed grace notes: { needs a closing }", view.grace.line, view.grace.col
            )
        line, col = _advance(self.line, self.col, self.pending)
        return BarTracker(view.copy(), "", line, col, self.strict, None)

    def _view_state(self, strict: bool = False) -> _BarState:
        if self._view is not None and not strict:
            return self._view
        state = self._state
        if self.pending and self._reason is None:
            state = state.copy()
            text = self.pending
            sentinel = self.col > 1
            tokens = raw_tokens((" " if sentinel else "") + text, self.line, self.col - sentinel)
            for tok in tokens:
                if tok.kind == SPACE and sentinel and tok.text == " ":
                    continue
                if strict and tok.kind == BAR and tok is tokens[-1]:
                    # "|" may still grow into "||" or ":|", which may end a short bar:
                    # judge it when it is complete (the next piece commits it).
                    if not state.bar_ok("||"):
                        raise ABCError(state.bar_message(), tok.line, tok.col)
                    state.step(tok, False)
                elif strict and tok.kind in _GROWING and tok is tokens[-1]:
                    # "A" may still become "A/": only a bar that is already full rejects it.
                    before = state.elapsed
                    state.step(tok, False)
                    full = state.meter is not None and not state.rest_bars and before >= state.meter
                    if full and state.elapsed > before:
                        raise ABCError(state.bar_message(), tok.line, tok.col)
                else:
                    state.step(tok, strict)
        self._view = state
        return state

    @property
    def bar_elapsed(self) -> Fraction:
        """Length of the current bar so far, in whole notes."""
        return self._view_state().elapsed

    @property
    def bar_expected(self) -> Fraction | None:
        """Length the meter asks of a bar (None in free meter)."""
        return self._view_state().meter

    @property
    def bar_remaining(self) -> Fraction | None:
        """What is left of the current bar (negative when too long; None in free meter)."""
        view = self._view_state()
        return None if view.meter is None else view.meter - view.elapsed

    @property
    def unit(self) -> Fraction:
        """The unit note length in force (changes with ``[L:]``)."""
        return self._view_state().unit

    @property
    def bars_completed(self) -> int:
        """Bars closed so far (a multi-measure rest counts its bars)."""
        return self._view_state().bars_done

    @property
    def open_constructs(self) -> tuple[str, ...]:
        """What is open now, outermost first: ``"slur"`` (once per level), ``"tuplet"``,
        ``"chord"``, ``"grace"``, and for an unfinished token ``"quote"``, ``"decoration"``,
        ``"field"``, ``"accidental"`` or ``"bar"``."""
        view = self._view_state()
        out = ["slur"] * view.slurs
        if view.tup_left:
            out.append("tuplet")
        if view.grace is not None:
            out.append("grace")
        if view.chord is not None:
            out.append("chord")
        if self._reason is not None:
            out.append(self._reason)
        return tuple(out)

    @property
    def form_position(self) -> tuple[int, int, str, bool]:
        """(part, bars, ending, after_first_ending): the part being written (0 the first; a
        part ends at a section end, as :func:`~composeium_desktop.core.abcnotation.form.parts_of`
        reads them), its bars so far as a musician counts them (no pickup; a second ending
        counts from where the first began), the ending being written ("" none, "1", "2"), and
        whether a first ending has just closed with a repeat (a second ending may follow)."""
        view = self._view_state()
        return view.part_index, view.part_bars, view.ending, view.awaiting_second

    @property
    def part_bars(self) -> tuple[int, ...]:
        """The bars of each part so far (the last one still being written), counted as
        :attr:`form_position` counts them."""
        view = self._view_state()
        return (*view.parts_done, view.part_bars)

    @property
    def bar_may_be_short(self) -> bool:
        """True when the current bar may be short as a pickup (the first bar of a section)."""
        return self._view_state().section_start

    def bar_line_legal(self, bar: str = "|") -> bool:
        """Whether the bar line ``bar`` (``"|"``, ``":|"``, ``"||"`` ...) may come now."""
        if self._reason is not None:
            return False
        return self._view_state().bar_ok(bar)

    def can_feed(self, text: str) -> bool:
        """Whether :meth:`feed` would accept ``text``."""
        try:
            self.feed(text)
        except ABCError:
            return False
        return True

    def can_end(self) -> bool:
        """Whether the body may end here (nothing open, the last bar fits as a final bar)."""
        view = self._view_state()
        if self._reason is not None or view.chord is not None or view.grace is not None:
            return False
        return view.bar_ok("|]")

    def __repr__(self) -> str:
        return (
            f"BarTracker(elapsed={self.bar_elapsed}, expected={self.bar_expected}, "
            f"open={self.open_constructs}, pending={self.pending!r})"
        )
