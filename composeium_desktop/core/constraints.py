"""Constrained decoding: an incremental ABC body state that accepts or rejects each new piece.

The model writes the normalised body (unit L:1/8) one SentencePiece at a time. ``BodyState``
reads that text character by character and knows, at any point, what is open (a note whose length
may still grow, a chord, a quote, a grace group, a slur, a tuplet, a bar line whose symbol may
still grow) and how much of the current bar is filled. Feeding a piece to a *clone* of the state
says whether the text stays valid; generation samples a token, checks it, and on rejection masks
it and draws again (rejection sampling), falling back to a scan of the whole vocabulary only when
several draws in a row fail. Checks are made as late as the text allows ("A" may still become
"A/"), so a piece is rejected only when no continuation could make it valid.

The accepted language is a deliberately conservative subset of ABC 2.1 body syntax:
notes and rests (``z``/``x``) with accidentals, octave marks and lengths (denominators up to 16),
chords ``[CEG]2`` (no lengths inside), chord symbols ``"Am"``, grace groups ``{g}``, ties,
slurs (closed before the bar line), broken rhythm ``>``/``<``, tuplets ``(2 (3 (4``, the
decorations ``~`` and ``.``, spaces, line breaks after bar lines, the bar lines
``| || |] [| |: :| :: :|: |1 |2 :|2`` and the endings ``[1 [2``. Every bar has the meter's
length except a pickup (first bar) and a section-end bar that completes the pickup.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

NOTE_LETTERS = frozenset("ABCDEFGabcdefg")
REST_LETTERS = frozenset("zx")
ACCIDENTALS = frozenset("^_=")
BAR_CHARS = frozenset("|:")
DECORATIONS = frozenset("~.")
ALLOWED_CHARS = frozenset(
    "ABCDEFGabcdefgzx^_=,'0123456789/|:[]()\"{}<>-~. \n"
    "#bm+°ø7913456abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

BAR_LINES = frozenset(
    {"|", "||", "|]", "[|", "|:", ":|", "::", ":|:", ":||:", "|1", "|2", ":|1", ":|2", "||:"}
)
SECTION_END = frozenset({"||", "|]", ":|", "::", ":|:", ":||:", ":|1", ":|2"})
SECTION_START = frozenset({"|:", "[|", "||:"})
FINAL_BAR_LINES = frozenset({"|]", ":|", "||"})
ENDING_BAR_LINES = frozenset({"|1", "|2", ":|1", ":|2"})
_BAR_PREFIXES = frozenset(p[:i] for p in BAR_LINES for i in range(1, len(p) + 1))

TUPLETS = {2: Fraction(3, 2), 3: Fraction(2, 3), 4: Fraction(3, 4)}
MAX_QUOTE = 12
MAX_GRACE = 6
MAX_NUMERATOR = 16
ALLOWED_DENOMINATORS = frozenset({1, 2, 4, 8, 16})
TRAIN_UNIT = Fraction(1, 8)


def bar_units(meter: str, unit: Fraction = TRAIN_UNIT) -> Fraction:
    """The length of a full bar of `meter` ("6/8", "C", "C|") in units of `unit`."""
    meter = {"C": "4/4", "C|": "2/2"}.get(meter.strip(), meter.strip())
    num, _, den = meter.partition("/")
    return Fraction(int(num), int(den)) / unit


_DENOMINATOR_PREFIXES = frozenset({"1", "2", "4", "8", "16"})


def _min_length(text: str) -> Fraction | None:
    """The shortest note length that a length suffix starting with `text` can still reach,
    or None if no allowed spelling starts with it (numerators 1-16, "/" "//" "///", "/2" ...
    "/16")."""
    head, slash, tail = text.partition("/")
    if head and (head[0] == "0" or int(head) > MAX_NUMERATOR):
        return None
    value = Fraction(int(head) if head else 1)
    if not slash:
        return value / 16
    if not tail or tail == "1":
        return value / 16
    if set(tail) == {"/"}:
        return value / 2 ** (len(tail) + 1) if len(tail) <= 2 else None
    if tail.isdigit() and tail in _DENOMINATOR_PREFIXES:
        return value / int(tail)
    return None


def _is_dyadic(value: Fraction) -> bool:
    den = value.denominator
    return den & (den - 1) == 0


class BodyState:
    """The incremental state of an ABC body (unit L:1/8). Use ``clone`` before a trial ``feed``.

    ``feed(text)`` returns False when the text can no longer be valid; the state is then
    undefined and should be discarded. ``can_end()`` says whether the body may end here.
    """

    __slots__ = (
        "bar_len",
        "mode",
        "pos",
        "bar_has_notes",
        "bars_done",
        "pickup",
        "lexeme",
        "last_bar",
        "note_len",
        "note_is_chord",
        "note_octave_ok",
        "acc",
        "in_chord_notes",
        "chord_acc",
        "chord_note_open",
        "grace_count",
        "grace_acc",
        "quote_len",
        "slur_depth",
        "tuplet_left",
        "tuplet_factor",
        "broken",
        "next_factor",
        "last_dur",
        "after_note",
        "line_len",
        "line_first",
        "finishing",
        "ending_ok",
        "chars",
        "bar_end_at",
    )

    def __init__(self, meter: str = "4/4") -> None:
        self.bar_len = bar_units(meter)
        self.mode = "top"
        self.pos = Fraction(0)
        self.bar_has_notes = False
        self.bars_done = 0
        self.pickup: Fraction | None = None
        self.lexeme = ""
        self.last_bar = ""
        self.note_len = ""
        self.note_is_chord = False
        self.note_octave_ok = False
        self.acc = ""
        self.in_chord_notes = 0
        self.chord_acc = ""
        self.chord_note_open = False
        self.grace_count = 0
        self.grace_acc = ""
        self.quote_len = 0
        self.slur_depth = 0
        self.tuplet_left = 0
        self.tuplet_factor = Fraction(1)
        self.broken = ""
        self.next_factor = Fraction(1)
        self.last_dur = Fraction(0)
        self.after_note = False
        self.line_len = 0
        self.line_first = ""
        self.finishing = False
        self.ending_ok = True
        self.chars = 0
        self.bar_end_at = 0

    def clone(self) -> BodyState:
        other = BodyState.__new__(BodyState)
        for name in BodyState.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    @property
    def remaining(self) -> Fraction:
        """Room left in the current bar, in units of L:1/8 (pending note not counted)."""
        return self.bar_len - self.pos

    @property
    def at_bar_start(self) -> bool:
        return self.mode == "top" and not self.bar_has_notes and self.pos == 0

    # Feeding text.

    def feed(self, text: str) -> bool:
        for char in text:
            if not self._feed_char(char):
                return False
            self.chars += 1
        return True

    def _feed_char(self, c: str) -> bool:
        # Finish whatever the new character closes, then handle it at top level.
        mode = self.mode
        if mode == "note":
            if self._note_continues(c):
                return True
            if not self._finish_note():
                return False
        elif mode == "bar":
            if (self.lexeme + c) in _BAR_PREFIXES:
                self.lexeme += c
                return True
            if not self._finish_bar():
                return False
        elif mode == "broken":
            if c == self.broken[0] and len(self.broken) == 1:
                self.broken += c
                return True
            if not self._finish_broken():
                return False
            return self._start_after_broken(c)
        elif mode == "quote":
            return self._quote_char(c)
        elif mode == "acc":
            return self._acc_char(c)
        elif mode == "chord":
            return self._chord_char(c)
        elif mode == "grace":
            return self._grace_char(c)
        elif mode == "paren":
            return self._paren_char(c)
        elif mode == "bracket":
            return self._bracket_char(c)
        elif mode == "chord_open":
            return self._bracket_char(c, chord_only=True)
        elif mode == "after_quote":
            if c == " ":
                return True
            return self._need_note_char(c)
        elif mode == "tuplet_wait" or mode == "need_note":
            return self._need_note_char(c)
        return self._top_char(c)

    def _top_char(self, c: str) -> bool:
        after_note = self.after_note
        self.after_note = False
        if c == "\n":
            # Line breaks only right after a bar line, never a blank line (that ends a tune).
            if self.line_len == 0 or not self.last_bar or self.bar_has_notes or self.pos:
                return False
            if self.tuplet_left or self.slur_depth:
                return False
            self.line_len = 0
            self.line_first = ""
            return True
        self.line_len += 1
        if self.line_len == 1:
            self.line_first = c
        if c == " ":
            return self.tuplet_left == 0
        if c == "[":
            self.mode = "bracket"
            return True
        if c in BAR_CHARS:
            if c == ":" and self.line_len == 2 and self.line_first.isalpha():
                return False  # "B:" at a line start reads as an information field
            return self._start_bar(c)
        if c == "-":
            return after_note and self.tuplet_left == 0
        if c in "<>":
            if not after_note or self.tuplet_left or self.next_factor != 1:
                return False
            self.mode = "broken"
            self.broken = c
            return True
        if c == ")":
            if self.slur_depth == 0 or not after_note:
                return False
            self.slur_depth -= 1
            self.after_note = True
            return True
        return self._start_element(c)

    def _start_element(self, c: str) -> bool:
        """Characters that begin something taking time (or decorating what does)."""
        if self.remaining <= 0:
            return False
        if c in NOTE_LETTERS or c in REST_LETTERS:
            return self._begin_note(c, octave_ok=c in NOTE_LETTERS)
        if c in ACCIDENTALS:
            self.mode = "acc"
            self.acc = c
            return True
        if c == "[":
            self.mode = "chord_open"
            return True
        if c == "(":
            self.mode = "paren"
            return True
        if c == '"':
            self.mode = "quote"
            self.quote_len = 0
            return True
        if c == "{":
            self.mode = "grace"
            self.grace_count = 0
            self.grace_acc = ""
            return True
        if c in DECORATIONS:
            self.mode = "need_note"
            return True
        return False

    def _need_note_char(self, c: str) -> bool:
        """After a decoration or tuplet marker: a note, rest, chord or accidental must follow."""
        self.mode = "top"
        if c in NOTE_LETTERS or c in REST_LETTERS or c in ACCIDENTALS or c == "[":
            return self._start_element(c)
        return False

    # Notes and chords.

    def _begin_note(self, c: str, octave_ok: bool) -> bool:
        self.mode = "note"
        self.note_len = ""
        self.note_is_chord = False
        self.note_octave_ok = octave_ok
        return True

    def _note_continues(self, c: str) -> bool:
        if c in ",'":
            return self.note_octave_ok and not self.note_len
        if c.isdigit() or c == "/":
            text = self.note_len + c
            low = _min_length(text)
            if low is None or self.pos + low * self.tuplet_factor * self.next_factor > self.bar_len:
                return False
            self.note_len = text
            return True
        return False

    def _note_length(self) -> Fraction | None:
        text = self.note_len
        if not text:
            return Fraction(1)
        head, slash, tail = text.partition("/")
        if head and (not head.isdigit() or head.startswith("0")):
            return None
        value = Fraction(int(head) if head else 1)
        if value > MAX_NUMERATOR:
            return None
        if slash:
            if not tail:
                value /= 2
            elif tail.isdigit():
                if int(tail) not in ALLOWED_DENOMINATORS or tail.startswith("0"):
                    return None
                value /= int(tail)
            elif set(tail) == {"/"}:
                value /= 2 ** (len(tail) + 1)
            else:
                return None
        if value.denominator not in ALLOWED_DENOMINATORS:
            return None
        return value

    def _finish_note(self) -> bool:
        length = self._note_length()
        if length is None:
            return False
        duration = length * self.tuplet_factor * self.next_factor
        self.next_factor = Fraction(1)
        self.pos += duration
        if self.pos > self.bar_len:
            return False
        self.last_dur = duration
        self.bar_has_notes = True
        self.mode = "top"
        self.after_note = True
        if self.tuplet_left:
            self.tuplet_left -= 1
            if self.tuplet_left == 0:
                self.tuplet_factor = Fraction(1)
                if not _is_dyadic(self.pos):
                    return False
        return True

    def _acc_char(self, c: str) -> bool:
        if c in NOTE_LETTERS:
            return self._begin_note(c, octave_ok=True)
        if c == self.acc and len(self.acc) == 1 and c in "^_":
            self.acc += c
            return True
        return False

    def _bracket_char(self, c: str, chord_only: bool = False) -> bool:
        if chord_only and c not in NOTE_LETTERS and c not in ACCIDENTALS:
            return False
        if (
            c in "12"
            and not self.bar_has_notes
            and not self.pos
            and self.last_bar
            and self.ending_ok
        ):
            self.mode = "top"
            self.ending_ok = False
            self.line_len += 1
            return True
        if c == "|":
            # "[|" is a bar line; the bracket is the lexeme's first character.
            if not self._start_bar("["):
                return False
            return self._continue_bar("|")
        if (c in NOTE_LETTERS or c in ACCIDENTALS) and self.remaining > 0:
            self.mode = "chord"
            self.in_chord_notes = 0
            self.chord_acc = ""
            self.chord_note_open = False
            return self._chord_char(c)
        return False

    def _chord_char(self, c: str) -> bool:
        if c in ACCIDENTALS:
            if self.chord_acc and not (self.chord_acc == c and c in "^_"):
                return False
            self.chord_acc += c
            self.chord_note_open = False
            return True
        if c in NOTE_LETTERS:
            if self.in_chord_notes >= 4:
                return False
            self.in_chord_notes += 1
            self.chord_acc = ""
            self.chord_note_open = True
            return True
        if c in ",'":
            return self.chord_note_open and not self.chord_acc
        if c == "]":
            if self.in_chord_notes == 0 or self.chord_acc:
                return False
            self.mode = "note"
            self.note_len = ""
            self.note_is_chord = True
            self.note_octave_ok = False
            return True
        return False

    def _grace_char(self, c: str) -> bool:
        if c == "}":
            if self.grace_count == 0 or self.grace_acc:
                return False
            self.mode = "need_note"
            return True
        if c in ACCIDENTALS:
            if self.grace_acc and not (self.grace_acc == c and c in "^_"):
                return False
            self.grace_acc += c
            return True
        if c in NOTE_LETTERS:
            self.grace_count += 1
            self.grace_acc = ""
            return self.grace_count <= MAX_GRACE
        if c in ",'":
            return self.grace_count > 0 and not self.grace_acc
        return False

    def _quote_char(self, c: str) -> bool:
        if c == '"':
            if self.quote_len == 0:
                return False
            self.mode = "after_quote"
            return True
        if c == "\n" or c not in ALLOWED_CHARS or c in '[]|{}"':
            return False
        self.quote_len += 1
        return self.quote_len <= MAX_QUOTE

    def _paren_char(self, c: str) -> bool:
        if c.isdigit():
            p = int(c)
            if p not in TUPLETS or self.tuplet_left:
                return False
            factor = TUPLETS[p]
            # The tuplet needs room for p notes of at least a sixteenth each.
            if self.remaining < factor * p / 2:
                return False
            self.tuplet_left = p
            self.tuplet_factor = factor
            self.mode = "tuplet_wait"
            return True
        self.mode = "top"
        self.slur_depth += 1
        if self.slur_depth > 2:
            return False
        if (
            c in NOTE_LETTERS
            or c in REST_LETTERS
            or c in ACCIDENTALS
            or c in '["{'
            or c in DECORATIONS
        ):
            return self._start_element(c)
        return False

    # Broken rhythm.

    def _finish_broken(self) -> bool:
        depth = len(self.broken)
        short = Fraction(1, 2**depth)
        long_factor = 2 - short
        if self.broken[0] == ">":
            prev, nxt = long_factor, short
        else:
            prev, nxt = short, long_factor
        self.pos += self.last_dur * (prev - 1)
        if self.pos >= self.bar_len:
            return False
        self.next_factor = nxt
        self.mode = "top"
        return True

    def _start_after_broken(self, c: str) -> bool:
        if c in NOTE_LETTERS or c in REST_LETTERS or c in ACCIDENTALS or c == "[":
            return self._start_element(c)
        return False

    # Bar lines.

    def _start_bar(self, c: str) -> bool:
        if self.slur_depth or self.tuplet_left or self.next_factor != 1:
            return False
        self.lexeme = ""
        return self._continue_bar(c)

    def _continue_bar(self, c: str) -> bool:
        self.lexeme += c
        if self.lexeme not in _BAR_PREFIXES:
            return False
        self.mode = "bar"
        return self._bar_may_close()

    def _bar_may_close(self) -> bool:
        """Early pruning: could some bar line starting like this close the current bar?"""
        if self.pos == self.bar_len:
            return True
        if not self.bar_has_notes:
            return self.bars_done == 0 or self.last_bar in SECTION_END or self.lexeme == "|"
        if self.bars_done == 0:
            return True
        return self.pickup is not None and self.pos + self.pickup == self.bar_len

    def _finish_bar(self) -> bool:
        lexeme = self.lexeme
        self.mode = "top"
        self.lexeme = ""
        if lexeme not in BAR_LINES:
            return False
        if self.finishing and lexeme not in FINAL_BAR_LINES:
            return False
        full = self.pos == self.bar_len
        if not self.bar_has_notes:
            # A bar line with nothing before it: only at the start, or a section start right
            # after a section end (":| |:").
            if self.bars_done == 0 and not self.last_bar:
                ok = lexeme in SECTION_START or lexeme == "[|"
            else:
                ok = lexeme in SECTION_START and self.last_bar in SECTION_END
            if not ok:
                return False
        elif self.bars_done == 0:
            self.pickup = None if full else self.pos
            self.bars_done = 1
        elif not full:
            if not (
                lexeme in SECTION_END
                and self.pickup is not None
                and self.pos + self.pickup == self.bar_len
            ):
                return False
            self.bars_done += 1
        else:
            self.bars_done += 1
        self.last_bar = lexeme
        self.bar_end_at = self.chars
        self.pos = Fraction(0)
        self.bar_has_notes = False
        self.ending_ok = lexeme not in ENDING_BAR_LINES
        self.after_note = False
        return True

    # Ending.

    def settled(self) -> BodyState | None:
        """A clone with any pending note or bar line finished, or None if that is invalid."""
        state = self.clone()
        if state.mode == "note":
            if not state._finish_note():
                return None
        elif state.mode == "bar":
            if not state._finish_bar():
                return None
        elif state.mode != "top":
            return None
        return state

    def can_end(self) -> bool:
        """True when the body may end here: right after a section-final bar line."""
        state = self.settled()
        return (
            state is not None
            and state.at_bar_start
            and state.last_bar in FINAL_BAR_LINES
            and state.bars_done >= 1
            and state.slur_depth == 0
            and state.tuplet_left == 0
        )

    def at_bar_line(self) -> bool:
        """True right after a finished bar (a safe point to end with a final bar line)."""
        state = self.settled()
        return state is not None and state.at_bar_start and state.bars_done >= 1


class PieceTable:
    """Static facts about the vocabulary's pieces, computed once per tokenizer."""

    def __init__(self, pieces: Sequence[str], special_ids: Sequence[int]) -> None:
        self.pieces = list(pieces)
        usable = np.ones(len(pieces), dtype=bool)
        for i, piece in enumerate(pieces):
            if not piece or any(ch not in ALLOWED_CHARS for ch in piece):
                usable[i] = False
        for i in special_ids:
            if 0 <= i < len(usable):
                usable[i] = False
        self.usable = usable
        self.usable_ids = np.flatnonzero(usable)

    def accepts(self, state: BodyState, token: int) -> BodyState | None:
        """The state after `token`, or None when the token makes the text invalid."""
        if not self.usable[token]:
            return None
        trial = state.clone()
        return trial if trial.feed(self.pieces[token]) else None

    def valid_mask(self, state: BodyState) -> np.ndarray:
        """Which ids are acceptable now (the slow path: every usable piece is tried)."""
        mask = np.zeros(len(self.pieces), dtype=bool)
        for i in self.usable_ids:
            trial = state.clone()
            if trial.feed(self.pieces[i]):
                mask[i] = True
        return mask


def complete_bar_line(body: str) -> str:
    """Text that turns a body ending right after a bar into one ending with a final bar line."""
    stripped = body.rstrip()
    for lexeme in sorted(BAR_LINES, key=len, reverse=True):
        if stripped.endswith(lexeme):
            if lexeme in FINAL_BAR_LINES:
                return stripped
            if lexeme in (":|1", ":|2", "::", ":|:", ":||:"):
                return stripped[: -len(lexeme)] + ":|"
            return stripped[: -len(lexeme)] + "|]"
    return stripped + "|]"
