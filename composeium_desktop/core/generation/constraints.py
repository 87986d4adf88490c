"""Constrained decoding: an incremental ABC body state that accepts or rejects each new piece.

The model writes the normalised body (unit L:1/8) one SentencePiece at a time. ``BodyState``
reads that text character by character and knows, at any point, what is open (a note whose length
may still grow, a chord, a quote, a grace group, a slur, a tuplet, a bar line whose symbol may
still grow) and how much of the current bar is filled. Feeding a piece to a *clone* of the state
says whether the text stays valid; generation samples a token, checks it, and on rejection masks
it and draws again (rejection sampling), falling back to a scan of the whole vocabulary
(``piece_table.PieceTable``, through a trie of the pieces) only when several draws in a row
fail. Checks are made as late as the text allows ("A3" may still become "A3/"), but a piece is
accepted only if some continuation can make the text valid, so decoding does not paint itself
into a corner. The bar's time (note lengths, tuplets, broken rhythm, the bar lines that may close
a bar) is ``bar_state.BarState``, which ``BodyState`` extends with the grammar of the elements.

The accepted language is a deliberately conservative subset of ABC 2.1 body syntax, chosen so
that every bar can always be completed:
  * notes and rests (``z``, ``x``) with accidentals, up to two octave marks, and lengths that are
    multiples of a 32nd note (``GRID``, a quarter of L:1/8), spelled ``2``, ``3/``, ``//``,
    ``/4`` ... (``LENGTHS``); chords ``[CEG]2`` (no lengths inside);
  * chord symbols ``"Am"`` (unless ``quotes_allowed`` is off), grace groups ``{g}``, ties,
    slurs (closed before the bar line), the decorations ``~`` and ``.``, single spaces, line
    breaks right after bar lines;
  * broken rhythm ``> >> < <<`` between two notes of the same written length; tuplets
    ``(2 (3 (4`` that end on the grid;
  * the bar lines ``| || |] [| |: :| :: :|: :|| :||: ||: |1 |2 :|1 :|2`` and endings ``[1 [2``.
Every bar has the meter's length except a pickup (the first bar) and a section-end bar that
completes the pickup; a bar line with nothing before it only as ``|:`` at the start or in
``:| |:``; ``|]`` only after ``min_bars`` bars. With ``finishing`` set (near the length limit)
only plain notes and the section-final bar lines ``|] :| || :||`` are accepted.
"""

from __future__ import annotations

from composeium_desktop.core.generation.bar_state import (
    BAR_PREFIXES,
    FINAL_BAR_LINES,
    GRID,
    LENGTHS,
    MIN_LENGTH,
    REACHABLE_LENGTHS,
    TUPLETS,
    BarState,
    bar_allowed,
)

NOTE_LETTERS = frozenset("ABCDEFGabcdefg")
REST_LETTERS = frozenset("zx")
ACCIDENTALS = frozenset("^_=")
BAR_CHARS = frozenset("|:")
DECORATIONS = frozenset("~.")
ALLOWED_CHARS = frozenset(
    "ABCDEFGabcdefgzx^_=,'0123456789/|:[]()\"{}<>-~. \n"
    "#bm+°ø7913456abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
MAX_QUOTE = 8
# Quoted text is a chord symbol: a root A-G, then quality, extensions and bass ("F#m7", "G/B").
CHORD_ROOTS = frozenset("ABCDEFG")
CHORD_CHARS = frozenset("ABCDEFG#bmajindsugo+0123456789/")
MAX_GRACE = 6
MAX_OCTAVE_MARKS = 2


class BodyState(BarState):
    """The incremental state of an ABC body (unit L:1/8). Use ``clone`` before a trial ``feed``.

    ``feed(text)`` returns False when the text can no longer be valid; the state is then
    undefined and should be discarded. ``can_end()`` says whether the body may end here.
    """

    def __init__(self, meter: str = "4/4") -> None:
        super().__init__(meter)
        self.note_len = ""
        self.note_is_chord = False
        self.note_octave_ok = False
        self.note_marks = 0
        self.acc = ""
        self.in_chord_notes = 0
        self.chord_acc = ""
        self.chord_note_open = False
        self.grace_count = 0
        self.grace_acc = ""
        self.quote_len = 0
        self.line_len = 0
        self.line_first = ""
        self.prev_space = False
        # Quoted text (chord symbols) may be turned off: generation does, after the prime.
        self.quotes_allowed = True

    def clone(self) -> BodyState:
        other = type(self).__new__(type(self))  # a subclass (wellformed_rules) clones as itself
        other.__dict__ = self.__dict__.copy()
        return other

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
            if (self.lexeme + c) in BAR_PREFIXES:
                return self._continue_bar(c)
            if not self._finish_bar():
                return False
        elif mode == "broken":
            if c == self.broken[0] and len(self.broken) == 1:
                self.broken += c
                return self._broken_fits()
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
            ok = not self.prev_space and self.tuplet_left == 0 and not self.finishing
            self.prev_space = True
            return ok
        self.prev_space = False
        if c == "[":
            self.mode = "bracket"
            can_close = not (self.slur_depth or self.tuplet_left or self.next_factor != 1)
            return (
                self._fits(GRID)
                or (can_close and bar_allowed(self, "[|"))
                or (not self.bar_has_notes and not self.pos and self.ending_ok)
            )
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
            return self._broken_fits()
        if c == ")":
            if self.slur_depth == 0:
                return False
            self.slur_depth -= 1
            self.after_note = True
            return True
        return self._start_element(c)

    def _start_element(self, c: str) -> bool:
        """Characters that begin something taking time (or decorating what does)."""
        if not self._fits(GRID):
            return False
        if self.closings is not None and self.form_bars >= len(self.closings) - 1:
            return False  # every bar of the form plan is written
        if self.finishing and c in '("{~.':
            return False  # near the length limit: plain notes only, to finish the bar
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
            # Either a slur (at most two deep) or a tuplet must still be possible.
            return self.slur_depth < 2 or (
                not self.tuplet_left and self.remaining >= TUPLETS[3] * 6 * GRID
            )
        if c == '"':
            self.mode = "quote"
            self.quote_len = 0
            return self.quotes_allowed
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
        self.note_marks = 0
        return True

    def _note_continues(self, c: str) -> bool:
        if c in ",'":
            if not self.note_octave_ok or self.note_len:
                return False
            self.note_marks += 1
            return self.note_marks <= MAX_OCTAVE_MARKS
        if c.isdigit() or c == "/":
            text = self.note_len + c
            low = MIN_LENGTH.get(text)
            if low is None or not self._fits(low):
                return False
            if self.next_factor != 1 and self.pair_len not in REACHABLE_LENGTHS[text]:
                return False
            if self.tuplet_left == 1 and not any(
                self._fits(v) and (self.pos + v * self.tuplet_factor) % GRID == 0
                for v in REACHABLE_LENGTHS[text]
            ):
                return False  # the tuplet's last note could not bring the bar back on the grid
            self.note_len = text
            return True
        return False

    def _finish_note(self) -> bool:
        length = LENGTHS.get(self.note_len)
        if length is None or not self._fits(length):
            return False
        self.bar_has_notes = True
        self.mode = "top"
        self.after_note = True
        return self._advance(length)

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
        # An ending ("[1") follows a bar line after some bars: the notation core counts the
        # bar it opens as no pickup, so one before any bar could not be short.
        if (
            c in "12"
            and not self.bar_has_notes
            and not self.pos
            and self.last_bar
            and self.ending_ok
            and self.bars_done > 0
            and self.closings is None
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
        if (c in NOTE_LETTERS or c in ACCIDENTALS) and self._fits(GRID):
            self.mode = "chord"
            self.in_chord_notes = 0
            self.chord_acc = ""
            self.chord_note_open = False
            return self._chord_char(c)
        return False

    def _chord_char(self, c: str) -> bool:
        if c in ACCIDENTALS:
            if self.in_chord_notes >= 4:
                return False
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
            self.note_marks = 0
            return True
        if c in ",'":
            self.note_marks += 1
            return (
                self.chord_note_open and not self.chord_acc and self.note_marks <= MAX_OCTAVE_MARKS
            )
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
            if self.grace_count >= MAX_GRACE:
                return False
            if self.grace_acc and not (self.grace_acc == c and c in "^_"):
                return False
            self.grace_acc += c
            return True
        if c in NOTE_LETTERS:
            self.grace_count += 1
            self.grace_acc = ""
            self.note_marks = 0
            return self.grace_count <= MAX_GRACE
        if c in ",'":
            self.note_marks += 1
            return (
                self.grace_count > 0 and not self.grace_acc and self.note_marks <= MAX_OCTAVE_MARKS
            )
        return False

    def _quote_char(self, c: str) -> bool:
        if c == '"':
            if self.quote_len == 0:
                return False
            self.mode = "after_quote"
            return True
        allowed = CHORD_ROOTS if self.quote_len == 0 else CHORD_CHARS
        self.quote_len += 1
        return c in allowed and self.quote_len <= MAX_QUOTE

    def _paren_char(self, c: str) -> bool:
        if c.isdigit():
            return self._start_tuplet(int(c))
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

    def _start_after_broken(self, c: str) -> bool:
        if c in NOTE_LETTERS or c in REST_LETTERS or c in ACCIDENTALS or c == "[":
            return self._start_element(c)
        return False

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
            and (state.closings is None or state.form_bars == len(state.closings) - 1)
            and state.slur_depth == 0
            and state.tuplet_left == 0
        )
