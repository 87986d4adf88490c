"""Whether a tune is musically well formed, not only readable: what its notes do that a
musician would mark.

``read_facts`` reads a body once and gives its ``TuneFacts``: the written note values used
(whole notes; a chord counts once, rests count), the pitch classes sounded (relative to the
tonic, key signature and the accidentals carried through a bar honoured), ties that join two
different pitches (or a note to a rest or to nothing), bars that hold rests and no note, and
how often one bar is written again (in a row, and in all), bars compared by what sounds
(pitch and written length of each note and rest, grace notes passed over), not by their text.

``violations`` holds the facts to ``WellFormedRules`` (the note values and the pitches outside
the mode a genre's tunes use, the most repeats of a bar, whether a bar of rests is allowed):
the counts a tune breaks them by. The rules themselves are measured on the corpus
(``corpus.wellformed``); the constrained decoder enforces the same rules as it writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from composeium_desktop.core.abcnotation.header import default_unit_length, parse_unit
from composeium_desktop.core.abcnotation.keys import (
    MODE_STEPS,
    key_signature,
    parse_key,
    tonic_pc,
)
from composeium_desktop.core.abcnotation.lexer import lex
from composeium_desktop.core.abcnotation.transpose import note_midi

ACCIDENTAL_STEPS = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
REST_PITCH = -1
# A bar as it sounds: (MIDI pitch or REST_PITCH, written length in whole notes) per note.
SoundingBar = tuple[tuple[int, Fraction], ...]


def scale_pitch_classes(mode: str) -> frozenset[int]:
    """The pitch classes (relative to the tonic) of a mode's scale."""
    return frozenset(MODE_STEPS.get(mode, MODE_STEPS["major"]))


@dataclass(frozen=True)
class WellFormedRules:
    """What a well-formed tune of one genre and meter keeps to. Lengths in whole notes;
    ``alterations``: per mode, the pitch classes (relative to the tonic) outside its scale that
    the corpus's tunes in that mode use often enough to count as the mode's own (the raised
    seventh of minor), None to allow every pitch; ``max_run``: the most times one bar may be written in a row;
    ``max_count``: in all. A bound that is None is not checked."""

    shortest: Fraction | None = None
    longest: Fraction | None = None
    rest_bars: bool = True
    alterations: dict[str, frozenset[int]] | None = None
    max_run: int | None = None
    max_count: int | None = None

    def allowed_pitch_classes(self, mode: str) -> frozenset[int] | None:
        """The pitch classes (relative to the tonic) a tune in ``mode`` may sound (None:
        every one)."""
        if self.alterations is None:
            return None
        return scale_pitch_classes(mode) | self.alterations.get(mode, frozenset())

    def length_ok(self, length: Fraction) -> bool:
        """Whether a note or rest of written ``length`` (whole notes) is in range."""
        if self.shortest is not None and length < self.shortest:
            return False
        return self.longest is None or length <= self.longest


@dataclass(frozen=True)
class TuneFacts:
    """What ``read_facts`` finds in one body (see the module docstring)."""

    mode: str
    notes: int
    bars: int
    lengths: Counter[Fraction]
    pitch_classes: Counter[int]
    tie_mismatches: int
    rest_bars: int
    max_run: int
    max_count: int


@dataclass(frozen=True)
class Violations:
    """How far one tune breaks its rules: counts, with the notes and bars they are out of."""

    notes: int
    bars: int
    tie_mismatches: int
    rest_bars: int
    out_of_range: int
    foreign: int
    run_excess: int
    count_excess: int

    @property
    def total(self) -> int:
        return (
            self.tie_mismatches
            + self.rest_bars
            + self.out_of_range
            + self.foreign
            + self.run_excess
            + self.count_excess
        )


class _Reader:
    """One pass over a body's tokens (state on the instance keeps the steps small)."""

    def __init__(self, key: str, unit: Fraction) -> None:
        spec = parse_key(key)
        self.mode = spec.mode
        self.tonic = tonic_pc(spec.tonic)
        self.signature = key_signature(spec)
        self.unit = unit
        self.carried: dict[tuple[str, str], int] = {}
        self.lengths: Counter[Fraction] = Counter()
        self.pitch_classes: Counter[int] = Counter()
        self.bars: list[SoundingBar] = []
        self.bar: list[tuple[int, Fraction]] = []
        self.bar_pitched = False
        self.bar_rests = False
        self.rest_bars = 0
        self.ties = 0
        # The pitches a pending tie holds ("" spelling: the letter and octave of a single
        # note, which a following note without an accidental continues).
        self.tied: tuple[frozenset[int], tuple[str, str] | None] | None = None
        self.last: tuple[frozenset[int], tuple[str, str] | None] | None = None
        self.chord: list[int] | None = None
        self.chord_spelling: tuple[str, str] | None = None
        self.in_grace = False

    def read(self, body: str) -> None:
        for token in lex(body):
            kind = token.kind
            if kind in ("grace", "graceend"):
                self.in_grace = kind == "grace"
            elif self.in_grace or kind in ("space", "comment", "newline", "slur", "slurend"):
                continue
            elif kind == "note":
                self._note(token.data, token.length or Fraction(1))
            elif kind == "rest" or kind == "mrest":
                self._rest(token.length or Fraction(1) if kind == "rest" else None)
            elif kind == "chord":
                self.chord, self.chord_spelling = [], None
            elif kind == "chordend":
                self._chord_end(token.length or Fraction(1))
            elif kind == "tie":
                self.tied, self.last = self.last, None
                if self.tied is None:
                    self.ties += 1  # a tie after a rest or at the start joins nothing
            elif kind == "bar":
                self._bar()
            elif kind == "field" and token.text[1:2] == "K":
                self.signature = key_signature(parse_key(token.text[3:-1]))
        if self.tied is not None:
            self.ties += 1  # a tie at the end of the tune
        self._bar()

    def _pitch(self, data: tuple[str, str, str]) -> int:
        accidental_text, letter, octave = data
        if accidental_text:
            accidental = ACCIDENTAL_STEPS.get(accidental_text, 0)
            self.carried = {**self.carried, (letter, octave): accidental}
        else:
            accidental = self.carried.get((letter, octave), self.signature.get(letter.upper(), 0))
        return note_midi(letter, octave, accidental)

    def _note(self, data: tuple[str, str, str], length: Fraction) -> None:
        pitch = self._pitch(data)
        spelling = None if data[0] else (data[1], data[2])
        self.pitch_classes[(pitch - self.tonic) % 12] += 1
        if self.chord is not None:
            self.chord.append(pitch)
            self.chord_spelling = self.chord_spelling or spelling
            return
        self._join_tie(frozenset({pitch}), spelling)
        self._sounds(pitch, length * self.unit)
        self.last = (frozenset({pitch}), (data[1], data[2]))

    def _chord_end(self, length: Fraction) -> None:
        pitches = self.chord or []
        self.chord = None
        if not pitches:
            return
        self._join_tie(frozenset(pitches), self.chord_spelling)
        self._sounds(pitches[0], length * self.unit)
        self.last = (frozenset(pitches), None)

    def _join_tie(self, pitches: frozenset[int], spelling: tuple[str, str] | None) -> None:
        """A tie joins the same pitch (a chord: one pitch in common); a note without an
        accidental on the tied note's letter and octave continues it across a bar line."""
        if self.tied is None:
            return
        held, held_spelling = self.tied
        self.tied = None
        if held & pitches or (spelling is not None and spelling == held_spelling):
            return
        self.ties += 1

    def _rest(self, length: Fraction | None) -> None:
        if self.tied is not None:
            self.ties += 1
            self.tied = None
        self.last = None
        self.bar_rests = True
        if length is not None:
            self._sounds(REST_PITCH, length * self.unit)

    def _sounds(self, pitch: int, length: Fraction) -> None:
        self.bar.append((pitch, length))
        self.lengths[length] += 1
        self.bar_pitched = self.bar_pitched or pitch != REST_PITCH

    def _bar(self) -> None:
        if self.bar_rests and not self.bar_pitched:
            self.rest_bars += 1
        if self.bar:
            self.bars.append(tuple(self.bar))
        self.bar, self.bar_pitched, self.bar_rests = [], False, False
        self.carried = {}


def longest_run(bars: list[SoundingBar]) -> int:
    """The most times one bar is written in a row (0 without bars)."""
    best = run = 0
    previous: SoundingBar | None = None
    for bar in bars:
        run = run + 1 if bar == previous else 1
        best, previous = max(best, run), bar
    return best


def read_facts(body: str, meter: str, unit: str | Fraction | None, key: str) -> TuneFacts:
    """The facts of one body (see the module docstring). Raises ABCError where it does not
    lex."""
    if isinstance(unit, str) and unit:
        unit_value = parse_unit(unit)
    elif isinstance(unit, Fraction):
        unit_value = unit
    else:
        unit_value = default_unit_length(meter)
    reader = _Reader(key, unit_value)
    reader.read(body)
    counts = Counter(reader.bars)
    return TuneFacts(
        mode=reader.mode,
        notes=sum(reader.lengths.values()),
        bars=len(reader.bars),
        lengths=reader.lengths,
        pitch_classes=reader.pitch_classes,
        tie_mismatches=reader.ties,
        rest_bars=reader.rest_bars,
        max_run=longest_run(reader.bars),
        max_count=max(counts.values(), default=0),
    )


def violations(facts: TuneFacts, rules: WellFormedRules) -> Violations:
    """The counts by which one tune's facts break ``rules``."""
    allowed = rules.allowed_pitch_classes(facts.mode)
    return Violations(
        notes=facts.notes,
        bars=facts.bars,
        tie_mismatches=facts.tie_mismatches,
        rest_bars=0 if rules.rest_bars else facts.rest_bars,
        out_of_range=sum(n for length, n in facts.lengths.items() if not rules.length_ok(length)),
        foreign=0
        if allowed is None
        else sum(n for pc, n in facts.pitch_classes.items() if pc not in allowed),
        run_excess=max(0, facts.max_run - rules.max_run) if rules.max_run else 0,
        count_excess=max(0, facts.max_count - rules.max_count) if rules.max_count else 0,
    )


def check_tune(
    body: str, meter: str, unit: str | Fraction | None, key: str, rules: WellFormedRules
) -> Violations:
    """``violations`` of a body. Raises ABCError where it does not lex."""
    return violations(read_facts(body, meter, unit, key), rules)
