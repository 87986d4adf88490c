"""Constrained decoding that writes musically well-formed tunes, not only readable ones:
``WellFormedState`` is a ``constraints.BodyState`` that also holds the text to the notation
core's ``WellFormedRules`` (measured on the corpus per genre and meter, ``corpus.wellformed``):

* a tie joins a note to the same pitch in the same bar (``c-c``, never ``c-d``, ``c-z`` or a
  tie at the end; the text read may tie across a plain bar line ``|``, the decoder does not);
* no bar of rests in a dance tune (a rest may not fill what is left of a bar without a note);
* note and rest values within the range the corpus's tunes of that genre and meter use;
* no pitch outside the mode's scale beyond those the corpus's tunes in that mode use often
  (a raised seventh in minor, none in dorian or mixolydian);
* no bar written (as it sounds: pitch and written length of each note) more times in a row,
  or in all, than the corpus's tunes do.

Each check is made as early as the text allows (a foreign accidental at its letter, a note
value as its digits come, a repeated bar at the bar line that closes it), so a piece is still
accepted only when some continuation can make the text valid. ``enforce`` turns the state a
run has after its prime into one that holds to the rules from there on (the user's prime is
theirs); ``rules_for`` picks the rules of a request.
"""

from __future__ import annotations

from fractions import Fraction

from composeium_desktop.core.abcnotation.keys import key_name, key_signature, parse_key
from composeium_desktop.core.abcnotation.transpose import note_midi
from composeium_desktop.core.abcnotation.wellformed import (
    ACCIDENTAL_STEPS,
    REST_PITCH,
    WellFormedRules,
)
from composeium_desktop.core.corpus.records import NORMALISED_TONIC
from composeium_desktop.core.corpus.wellformed import DANCE_GENRES, WellFormedTable
from composeium_desktop.core.generation.bar_state import (
    GRID,
    LENGTHS,
    REACHABLE_LENGTHS,
    TRAIN_UNIT,
)
from composeium_desktop.core.generation.constraints import (
    ACCIDENTALS,
    NOTE_LETTERS,
    REST_LETTERS,
    BodyState,
)

# A note's spelling: (letter, octave marks).
Spelling = tuple[str, str]
_MARK_TAILS = ("", ",", "'", ",,", ",'", "',", "''")


def rules_for(table: WellFormedTable | None, meter: str, genre: str) -> WellFormedRules:
    """The rules a request is held to: the table's for its genre and meter; without a table
    (an older model folder) only the ones that need no measure (ties, bars of rests)."""
    if table is not None:
        return table.rules(meter, genre)
    return WellFormedRules(rest_bars=genre.lower() not in DANCE_GENRES)


class WellFormedState(BodyState):
    """A ``BodyState`` that refuses what breaks its ``WellFormedRules`` (see the module
    docstring). Made by ``enforce``; its containers are replaced, never changed in place, so a
    ``clone`` shares them safely."""

    wf_rules: WellFormedRules
    wf_allowed: frozenset[int] | None
    wf_signature: dict[str, int]
    wf_carried: dict[Spelling, int]
    wf_acc: str
    wf_letter: str
    wf_marks: str
    wf_last: tuple[int, Spelling] | None
    wf_tied: tuple[int, Spelling] | None
    wf_chord: tuple[int, ...]
    wf_bar: tuple[tuple[int, Fraction], ...]
    wf_pitched: bool
    wf_previous: tuple[tuple[int, Fraction], ...] | None
    wf_run: int
    wf_counts: dict[tuple[tuple[int, Fraction], ...], int]

    # Pitches.

    def _wf_pitch(self, letter: str, acc: str, marks: str) -> int:
        if acc:
            step = ACCIDENTAL_STEPS.get(acc, 0)
        else:
            step = self.wf_carried.get((letter, marks), self.wf_signature.get(letter.upper(), 0))
        return note_midi(letter, marks, step)

    def _wf_pitch_ok(self, pitch: int) -> bool:
        # The body is in C of its mode: the pitch class is the interval above the tonic.
        return self.wf_allowed is None or pitch % 12 in self.wf_allowed

    def _wf_tie_reachable(self) -> bool:
        """Can the note being written, with octave marks still to come, continue the tie?"""
        if self.wf_tied is None:
            return True
        room = 2 - len(self.wf_marks)
        return any(
            self._wf_continues(self.wf_marks + tail) for tail in _MARK_TAILS if len(tail) <= room
        )

    def _wf_continues(self, marks: str) -> bool:
        assert self.wf_tied is not None
        pitch, spelling = self.wf_tied
        if not self.wf_acc and (self.wf_letter, marks) == spelling:
            return True
        return self._wf_pitch(self.wf_letter, self.wf_acc, marks) == pitch

    # Notes, chords and ties.

    def _start_element(self, c: str) -> bool:
        if self.wf_tied is not None and c not in NOTE_LETTERS and c not in ACCIDENTALS:
            return False  # a tie is followed by the note it holds
        return super()._start_element(c)

    def _bracket_char(self, c: str, chord_only: bool = False) -> bool:
        if self.wf_tied is not None and c != "|":
            return False  # no chord (or ending) after a tie
        self.wf_chord = ()
        return super()._bracket_char(c, chord_only)

    def _chord_char(self, c: str) -> bool:
        acc = self.chord_acc  # cleared by the letter that follows it
        if not super()._chord_char(c):
            return False
        if c not in NOTE_LETTERS:
            return True
        pitch = self._wf_pitch(c, acc, "")
        self.wf_chord = (*self.wf_chord, pitch)
        return self._wf_pitch_ok(pitch)

    def _begin_note(self, c: str, octave_ok: bool) -> bool:
        acc = self.acc if self.mode == "acc" else ""
        if not super()._begin_note(c, octave_ok):
            return False
        self.wf_letter, self.wf_acc, self.wf_marks = c, acc, ""
        if c in REST_LETTERS:
            if self.wf_tied is not None:
                return False
            return self.wf_rules.rest_bars or self.wf_pitched or self.remaining > self._wf_min()
        return self._wf_pitch_ok(self._wf_pitch(c, acc, "")) and self._wf_tie_reachable()

    def _wf_min(self) -> Fraction:
        shortest = self.wf_rules.shortest
        return GRID if shortest is None else max(GRID, shortest / TRAIN_UNIT)

    def _note_continues(self, c: str) -> bool:
        if not super()._note_continues(c):
            return False
        if c in ",'":
            self.wf_marks += c
            pitch = self._wf_pitch(self.wf_letter, self.wf_acc, self.wf_marks)
            return self._wf_pitch_ok(pitch) and self._wf_tie_reachable()
        if self.wf_tied is not None and not self._wf_continues(self.wf_marks):
            return False  # its octave marks are written: it must be the tied pitch now
        reachable = REACHABLE_LENGTHS[self.note_len]
        if not any(self.wf_rules.length_ok(v * TRAIN_UNIT) for v in reachable):
            return False
        return not self._wf_rest_fills(min(reachable))

    def _wf_rest_fills(self, length: Fraction) -> bool:
        """Would a rest of ``length`` leave a bar of rests (where the rules forbid one)?"""
        if self.note_is_chord or self.wf_letter not in REST_LETTERS:
            return False
        rules_allow = self.wf_rules.rest_bars or self.wf_pitched
        return not rules_allow and self.pos + length >= self.bar_len

    def _finish_note(self) -> bool:
        length = LENGTHS.get(self.note_len)
        if length is None or not self.wf_rules.length_ok(length * TRAIN_UNIT):
            return False
        if self._wf_rest_fills(length):
            return False
        if not super()._finish_note():
            return False
        if not self.wf_letter and not self.note_is_chord:
            self.wf_pitched = True  # a note of the prime, begun before the rules
            return True
        if self.note_is_chord:
            pitch = self.wf_chord[0] if self.wf_chord else REST_PITCH
            self.wf_last = None
        elif self.wf_letter in REST_LETTERS:
            pitch, self.wf_last = REST_PITCH, None
        else:
            marks = self.wf_marks
            if self.wf_tied is not None and not self._wf_continues(marks):
                return False
            pitch = self._wf_pitch(self.wf_letter, self.wf_acc, marks)
            if self.wf_acc:
                step = ACCIDENTAL_STEPS.get(self.wf_acc, 0)
                self.wf_carried = {**self.wf_carried, (self.wf_letter, marks): step}
            self.wf_last = (pitch, (self.wf_letter, marks))
        self.wf_tied = None
        self.wf_bar = (*self.wf_bar, (pitch, length * TRAIN_UNIT))
        self.wf_pitched = self.wf_pitched or pitch != REST_PITCH
        return True

    def _top_char(self, c: str) -> bool:
        if c == "[" and self.wf_tied is not None:
            return False  # neither a chord nor "[|" may follow a tie
        last = self.wf_last if self.after_note else None
        if not super()._top_char(c):
            return False
        if c == "-":
            # A tie holds a single note (not a rest or a chord) and, in the subset written here,
            # within its bar: near the end only section-final bar lines may come, and a tie
            # may not cross those, so a tie over a bar line could leave no way on.
            if last is None or self.pos >= self.bar_len:
                return False
            self.wf_tied = last
        elif c != " ":
            self.wf_last = None
        return True

    # Bars.

    def _start_bar(self, c: str) -> bool:
        if self.bar_has_notes:
            if not self.wf_rules.rest_bars and not self.wf_pitched:
                return False
            bar = self.wf_bar
            run = self.wf_run + 1 if bar == self.wf_previous else 1
            max_run, max_count = self.wf_rules.max_run, self.wf_rules.max_count
            if max_run is not None and run > max_run:
                return False
            if max_count is not None and self.wf_counts.get(bar, 0) + 1 > max_count:
                return False
        return super()._start_bar(c)

    def _continue_bar(self, c: str) -> bool:
        if not super()._continue_bar(c):
            return False
        return self.wf_tied is None  # a tie is resolved within its bar

    def _finish_bar(self) -> bool:
        had_notes = self.bar_has_notes
        if not super()._finish_bar():
            return False
        if had_notes:
            bar = self.wf_bar
            self.wf_run = self.wf_run + 1 if bar == self.wf_previous else 1
            self.wf_previous = bar
            self.wf_counts = {**self.wf_counts, bar: self.wf_counts.get(bar, 0) + 1}
        self.wf_bar, self.wf_pitched, self.wf_carried = (), False, {}
        return True

    def can_end(self) -> bool:
        return super().can_end() and self.wf_tied is None


def enforce(state: BodyState, rules: WellFormedRules, mode: str) -> WellFormedState:
    """A copy of ``state`` (at the start of a bar) that holds to ``rules`` from here on, for a
    body in the normalised key of ``mode``."""
    out = WellFormedState.__new__(WellFormedState)
    out.__dict__ = state.__dict__.copy()
    out.wf_rules = rules
    out.wf_allowed = rules.allowed_pitch_classes(mode)
    out.wf_signature = key_signature(parse_key(key_name(NORMALISED_TONIC, mode)))
    out.wf_carried = {}
    out.wf_acc = out.wf_letter = out.wf_marks = ""
    out.wf_last = out.wf_tied = None
    out.wf_chord = ()
    out.wf_bar = ()
    out.wf_pitched = False
    out.wf_previous = None
    out.wf_run = 0
    out.wf_counts = {}
    return out
