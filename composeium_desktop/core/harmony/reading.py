"""A tune's melody on a timeline, read through the notation core (lexer + bar state).

:func:`read_melody` turns a tune body into notes with onsets and lengths in whole notes
(tuplets, broken rhythm, chords and grace notes as :mod:`~composeium_desktop.core.abcnotation.bars`
counts them), bars with their pickups and part ends, and the chord symbols already written.
Each note also says where in the body text a chord symbol would go in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from composeium_desktop.core.abcnotation.bars import _BarState, is_section_end_bar
from composeium_desktop.core.abcnotation.header import Tune, parse_unit
from composeium_desktop.core.abcnotation.keys import KeySpec, key_signature, parse_key
from composeium_desktop.core.abcnotation.lexer import (
    ANNOT,
    BAR,
    BROKEN,
    CHORD,
    CHORD_END,
    DECO,
    FIELD,
    FIELD_LINE,
    GRACE,
    GRACE_END,
    NEWLINE,
    NOTE,
    REST,
    SLUR,
    SYMBOL,
    TUPLET,
    lex,
)
from composeium_desktop.core.abcnotation.transpose import note_midi

_ACCIDENTALS = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
# Tokens that belong in front of the note they decorate: a chord symbol goes before them.
_PREFIX_KINDS = frozenset({DECO, GRACE, GRACE_END, SLUR, TUPLET, CHORD, SYMBOL, ANNOT})


@dataclass(frozen=True)
class NoteEvent:
    """A note, chord or rest: onset and length in whole notes, MIDI pitches (empty for a rest),
    the bar it is in, and the body position (1-based line, col) a chord symbol goes before."""

    onset: Fraction
    duration: Fraction
    pitches: tuple[int, ...]
    bar: int
    line: int
    col: int


@dataclass(frozen=True)
class BarSpan:
    """One bar: where it starts and how long it is, what the meter asks, whether it is a
    pickup, and whether it ends a part (a repeat, ``||``, ``|]``, an ending, the tune's end)."""

    index: int
    start: Fraction
    length: Fraction
    expected: Fraction | None
    pickup: bool
    part_end: bool
    bar_line: str
    meter: str


@dataclass(frozen=True)
class SymbolEvent:
    """A chord symbol in the text: its onset, text, and body position (1-based line, col)."""

    onset: Fraction
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Melody:
    """A tune body on a timeline (see the module docstring)."""

    key: KeySpec
    meter: str
    rhythm: str
    notes: tuple[NoteEvent, ...]
    bars: tuple[BarSpan, ...]
    symbols: tuple[SymbolEvent, ...]
    key_changes: tuple[tuple[Fraction, KeySpec], ...] = ()

    def key_spans(self) -> list[tuple[Fraction, Fraction, KeySpec]]:
        """(start, end, key) of each stretch of the tune in one key: the header's key, then
        each K: of the body from where it stands (a K: that changes nothing starts none)."""
        spans = [(Fraction(0), self.key)]
        for onset, key in self.key_changes:
            if (key.tonic, key.mode) == (spans[-1][1].tonic, spans[-1][1].mode):
                continue
            if onset <= spans[-1][0]:
                spans[-1] = (spans[-1][0], key)
            else:
                spans.append((onset, key))
        ends = [start for start, _ in spans[1:]] + [max(self.end, spans[-1][0]) + 1]
        return [(start, end, key) for (start, key), end in zip(spans, ends, strict=True)]

    @property
    def end(self) -> Fraction:
        """Where the last bar ends, in whole notes."""
        if not self.bars:
            return Fraction(0)
        last = self.bars[-1]
        return last.start + last.length

    def bar_offset(self, bar: BarSpan) -> Fraction:
        """What to add to a time in ``bar`` (from its start) to get its metric position: a
        pickup's notes stand at the end of a full bar."""
        if bar.pickup and bar.expected is not None and bar.length < bar.expected:
            return bar.expected - bar.length
        return Fraction(0)


def read_melody(tune: Tune) -> Melody:
    """The melody of ``tune`` on a timeline; raises ABCError where the body does not lex."""
    return read_body(tune.body, tune.key, tune.meter, tune.unit, tune.rhythm or "")


def read_body(body: str, key: str, meter: str, unit: str, rhythm: str = "") -> Melody:
    """Like :func:`read_melody` for a bare body with its K:, M: and L: values."""
    spec = parse_key(key)
    signature = key_signature(spec)
    state = _BarState(meter, parse_unit(unit))
    meter_now = meter
    tokens = lex(body)
    notes: list[NoteEvent] = []
    bars: list[BarSpan] = []
    symbols: list[SymbolEvent] = []
    key_changes: list[tuple[Fraction, KeySpec]] = []
    carried: dict[tuple[str, str], int] = {}
    bar_start = Fraction(0)
    prefix: tuple[int, int] | None = None
    chord_pitches: list[int] = []
    chord_at: tuple[int, int] | None = None

    def close(bar_line: str, part_end: bool) -> None:
        nonlocal bar_start
        expected = state.meter
        pickup = state.section_start and expected is not None and state.elapsed < expected
        bars.append(
            BarSpan(
                len(bars), bar_start, state.elapsed, expected, pickup, part_end, bar_line, meter_now
            )
        )
        bar_start += state.elapsed

    def pitch(tok_data: tuple[str, str, str]) -> int:
        acc_text, letter, octave = tok_data
        if acc_text:
            carried[(letter, octave)] = _ACCIDENTALS[acc_text]
            acc = _ACCIDENTALS[acc_text]
        else:
            acc = carried.get((letter, octave), signature.get(letter.upper(), 0))
        return note_midi(letter, octave, acc)

    for tok in tokens:
        kind = tok.kind
        if kind == BAR and state.has_music:
            bar_line = tok.data[0]  # type: ignore[index]
            close(bar_line, is_section_end_bar(bar_line))
        elif kind == NEWLINE and state.newline_closes():
            close("\n", state.elapsed != state.meter)
        if kind == BAR:
            carried.clear()
        elif kind in (FIELD, FIELD_LINE):
            letter, value = tok.data  # type: ignore[misc]
            if letter == "K":
                signature = key_signature(parse_key(value))
                key_changes.append((bar_start + state.elapsed, parse_key(value)))
            elif letter == "M":
                meter_now = value
        in_grace = state.grace is not None and kind != GRACE_END
        before = state.elapsed
        was_chord = state.chord is not None
        state.step(tok, False)
        if kind in _PREFIX_KINDS and not in_grace:
            if prefix is None:
                prefix = (tok.line, tok.col)
            if kind == SYMBOL:
                symbols.append(
                    SymbolEvent(bar_start + state.elapsed, str(tok.data), tok.line, tok.col)
                )
            if kind == CHORD and state.chord is not None:
                chord_pitches, chord_at = [], prefix
            continue
        if kind == BROKEN and notes:
            last = notes[-1]
            notes[-1] = NoteEvent(
                last.onset, state.last_dur, last.pitches, last.bar, last.line, last.col
            )
            continue
        if in_grace:
            continue
        if kind in (NOTE, REST) and was_chord:
            if kind == NOTE:
                chord_pitches.append(pitch(tok.data))  # type: ignore[arg-type]
            continue
        if kind in (NOTE, REST) or kind == CHORD_END:
            at = chord_at if kind == CHORD_END else (prefix or (tok.line, tok.col))
            if kind == NOTE:
                pitches: tuple[int, ...] = (pitch(tok.data),)  # type: ignore[arg-type]
            elif kind == CHORD_END:
                pitches = tuple(chord_pitches)
            else:
                pitches = ()
            assert at is not None
            onset = bar_start + state.elapsed - state.last_dur
            if state.elapsed > before or kind == CHORD_END:
                notes.append(NoteEvent(onset, state.last_dur, pitches, len(bars), at[0], at[1]))
            prefix = None
        elif kind in (BAR, NEWLINE):
            prefix = None
    if state.has_music:
        close("|]", True)
    if bars:
        final = bars[-1]
        bars[-1] = BarSpan(
            final.index,
            final.start,
            final.length,
            final.expected,
            final.pickup,
            True,
            final.bar_line,
            final.meter,
        )
    return Melody(
        spec,
        meter,
        rhythm.strip().lower(),
        tuple(notes),
        tuple(bars),
        tuple(symbols),
        tuple(key_changes),
    )
