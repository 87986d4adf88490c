"""The form of a tune as its bar lines write it: parts, their bars, repeats and endings.

A part runs from the start of the tune, or from a section end (``:|``, ``||``, ``|]``, ``::``)
or an opening repeat (``|:``), to the next section end. A part closed by a repeat (``:|``,
``::``, ``:|2``) is played twice; ABC 2.1's ``:|`` without a ``|:`` repeats from the last section
end, which is where the part starts. First and second endings (``|1 ... :|2 ... ||``, ``[1``,
``[2``) belong to their part. A part's bars are counted as a musician counts them: a short
first bar (the pickup) is not a bar, the short bar that completes it is, and of the two endings
only the first counts (the second replaces it).

``read_form`` gives the parts; ``FormFigures`` what the form parsers of folk-tune books look at:
two or more 8- or 16-bar parts with repeats (AABB-shaped), a B part that is not a copy of the A
part, a B part above the A part, and the phrase repetition inside a part (bars 1-2 against
bars 5-6). Notes are compared by what sounds (pitch and duration), not by their spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from fractions import Fraction

from composeium_desktop.core.abcnotation.bars import bar_lengths, is_section_end_bar
from composeium_desktop.core.abcnotation.header import default_unit_length, parse_unit
from composeium_desktop.core.abcnotation.keys import key_signature, parse_key
from composeium_desktop.core.abcnotation.lexer import Token, lex
from composeium_desktop.core.abcnotation.transpose import note_midi

# Sounding notes: (MIDI pitch, duration in whole notes); a rest has pitch -1.
Note = tuple[int, Fraction]
COPY_SIMILARITY = 0.9
DANCE_PART_BARS = (8, 16)
_ACCIDENTALS = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}


@dataclass(frozen=True)
class Bar:
    """One written bar: what opens and closes it and the notes it sounds."""

    opens_repeat: bool
    ending: str
    closing: str
    is_pickup: bool
    notes: tuple[Note, ...]
    # Where the bar is written in the body: its first note and its closing bar line (1-based
    # line and column), so that a part can be found in the text and in the score's timemap.
    start: tuple[int, int] = (0, 0)
    end: tuple[int, int] = (0, 0)


@dataclass
class Part:
    """One part (A, B ...): its common bars, its endings (number -> bars) and whether it
    repeats."""

    bars: list[Bar] = field(default_factory=list)
    endings: dict[str, list[Bar]] = field(default_factory=dict)
    repeated: bool = False

    @property
    def bar_count(self) -> int:
        """Bars as a musician counts them: no pickup, the first ending only."""
        first = self.endings.get("1") or next(iter(self.endings.values()), [])
        return sum(not bar.is_pickup for bar in [*self.bars, *first])

    def notes(self) -> list[Note]:
        """What the part sounds the first time through (common bars and first ending)."""
        first = self.endings.get("1") or next(iter(self.endings.values()), [])
        return [note for bar in [*self.bars, *first] for note in bar.notes]

    def variants(self) -> list[list[Note]]:
        """What the part sounds each way it is played: the common bars with each ending (one
        way without endings)."""
        endings = list(self.endings.values()) or [[]]
        return [[note for bar in [*self.bars, *ending] for note in bar.notes] for ending in endings]

    def bar_notes(self) -> list[tuple[Note, ...]]:
        first = self.endings.get("1") or next(iter(self.endings.values()), [])
        return [bar.notes for bar in [*self.bars, *first] if not bar.is_pickup]

    def source_span(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(line, column) of its first bar's first note and of its last bar's closing bar line
        in the body (both endings included)."""
        bars = [*self.bars, *(bar for ending in self.endings.values() for bar in ending)]
        return min(bar.start for bar in bars), max(bar.end for bar in bars)

    def mean_pitch(self) -> float | None:
        """The duration-weighted mean MIDI pitch of its notes (None without notes)."""
        sounding = [(pitch, length) for pitch, length in self.notes() if pitch >= 0]
        total = sum((length for _, length in sounding), Fraction(0))
        if not total:
            return None
        return float(sum((pitch * length for pitch, length in sounding), Fraction(0)) / total)


@dataclass(frozen=True)
class FormFigures:
    """What a form parser reports of one tune."""

    shape: str  # e.g. "AABB", "AB", "A"
    part_bars: tuple[int, ...]
    aabb_shaped: bool
    b_distinct: bool | None  # None with one part
    b_above_a: bool | None
    phrase_repetition: float | None  # bars 1-2 against 5-6, mean over the 8+-bar parts


def similarity(a: list[Note] | tuple[Note, ...], b: list[Note] | tuple[Note, ...]) -> float:
    """0..1: how much of two note sequences sound the same (difflib's ratio)."""
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, list(a), list(b), autojunk=False).ratio()


def _bar_notes(tokens: list[Token], key: str, unit: Fraction) -> list[Note]:
    """The notes a bar sounds: a chord as its first note (times the chord's length), rests as
    pitch -1, the key signature and the accidentals carried through the bar honoured."""
    signature = key_signature(parse_key(key))
    carried: dict[tuple[str, str], int] = {}
    notes: list[Note] = []
    chord_start: int | None = None
    for token in tokens:
        if token.kind == "chord":
            chord_start = len(notes)
        elif token.kind == "chordend":
            if chord_start is not None and token.length and chord_start < len(notes):
                pitch, length = notes[chord_start]
                notes[chord_start] = (pitch, length * token.length)
            chord_start = None
        elif token.kind == "note":
            accidental_text, letter, octave = token.data
            if accidental_text:
                accidental = _ACCIDENTALS.get(accidental_text, 0)
                carried[(letter, octave)] = accidental
            else:
                accidental = carried.get((letter, octave), signature.get(letter.upper(), 0))
            if chord_start is None or chord_start == len(notes):
                length = (token.length or Fraction(1)) * unit
                notes.append((note_midi(letter, octave, accidental), length))
        elif token.kind == "rest":
            notes.append((-1, (token.length or Fraction(1)) * unit))
    return notes


def read_bars(body: str, meter: str, unit: str | Fraction | None, key: str) -> list[Bar]:
    """The written bars of a body, with what opens and closes each. Raises ABCError."""
    infos = bar_lengths(body, meter, unit)
    unit_length = _unit(unit, meter)
    tokens = [t for t in lex(body) if t.kind not in ("space", "comment")]
    bars: list[Bar] = []
    index = 0
    opens, ending = False, ""
    for info in infos:
        end = (info.end_line, info.end_col)
        inside: list[Token] = []
        while index < len(tokens) and (tokens[index].line, tokens[index].col) < end:
            token = tokens[index]
            if token.kind == "ending" and not inside:
                ending = token.data
            elif token.kind != "bar":  # an uncounted bar line (``[|]``) adds nothing
                inside.append(token)
            index += 1
        closing = info.bar_line.strip()
        notes = tuple(_bar_notes(inside, key, unit_length))
        where = (info.line, info.col), end
        bars.append(Bar(opens, ending, closing, info.is_pickup, notes, *where))
        opens, ending = False, ""
        if index < len(tokens) and tokens[index].kind == "bar":
            bar_line, next_ending = tokens[index].data
            opens = bar_line.endswith(":")
            ending = next_ending.lstrip("[")
            index += 1
    return bars


def _unit(unit: str | Fraction | None, meter: str) -> Fraction:
    if isinstance(unit, Fraction):
        return unit
    if unit:
        return parse_unit(unit)
    return default_unit_length(meter)


def parts_of(bars: list[Bar]) -> list[Part]:
    """The parts of a tune from its bars (see the module's docstring)."""
    parts: list[Part] = []
    current: Part | None = None
    active = ""  # the ending the bars are in
    awaiting_second = False
    for bar in bars:
        if bar.ending:
            active = bar.ending.split(",")[0].split("-")[0]
        starts = (
            current is None
            or (bar.opens_repeat and _has_bars(current))
            or (awaiting_second and not bar.ending)
        )
        if starts:
            carried: list[Bar] = []
            if current is not None and current.bar_count == 0 and not current.endings:
                carried = current.bars  # a pickup before ``|:`` leads into the part
            elif current is not None and _has_bars(current):
                parts.append(current)
            current = Part(bars=carried)
            awaiting_second = False
            active = active if bar.ending else ""
        assert current is not None
        if bar.ending:
            awaiting_second = False  # a second ending runs to a section end, as the tracker reads
        if active:
            current.endings.setdefault(active, []).append(bar)
        else:
            current.bars.append(bar)
        closing = bar.closing
        if closing.startswith(":"):
            current.repeated = True
            if active == "1":
                awaiting_second, active = True, ""
                continue
        if closing.startswith(":") or (is_section_end_bar(closing) and not closing.endswith(":")):
            parts.append(current)
            current, active, awaiting_second = None, "", False
    if current is not None and _has_bars(current):
        parts.append(current)
    return _pickups_lead_in(parts)


def _pickups_lead_in(parts: list[Part]) -> list[Part]:
    """A part of pickup bars alone (an upbeat before a bar line) leads into the next part."""
    kept: list[Part] = []
    lead: list[Bar] = []
    for part in parts:
        if part.bar_count == 0 and not part.endings and not part.repeated:
            lead.extend(part.bars)
            continue
        if lead:
            part.bars[:0] = lead
            lead = []
        kept.append(part)
    return kept


def _has_bars(part: Part) -> bool:
    return bool(part.bars or part.endings)


def read_form(body: str, meter: str, unit: str | Fraction | None, key: str) -> list[Part]:
    """The parts of a tune body. Raises ABCError where the body does not lex."""
    return parts_of(read_bars(body, meter, unit, key))


def _same_part(a: Part, b: Part) -> bool:
    """Do two parts sound alike, played with any of their endings (a part written out again
    with its second ending only is the same part)?"""
    if not a.endings and not b.endings:
        return similarity(a.notes(), b.notes()) >= COPY_SIMILARITY
    return any(similarity(x, y) >= COPY_SIMILARITY for x in a.variants() for y in b.variants())


def _shape(parts: list[Part]) -> str:
    letters: list[str] = []
    seen: list[Part] = []
    for part in parts:
        match = next((i for i, other in enumerate(seen) if _same_part(part, other)), None)
        if match is None:
            seen.append(part)
            match = len(seen) - 1
        letter = chr(ord("A") + min(match, 25))
        letters.append(letter * (2 if part.repeated else 1))
    return "".join(letters)


def _phrase_repetition(parts: list[Part]) -> float | None:
    scores = []
    for part in parts:
        bars = part.bar_notes()
        if len(bars) >= 8:
            first = [n for bar in bars[0:2] for n in bar]
            fifth = [n for bar in bars[4:6] for n in bar]
            scores.append(similarity(first, fifth))
    return sum(scores) / len(scores) if scores else None


def form_figures(parts: list[Part]) -> FormFigures:
    """What a form parser reports of these parts."""
    bars = tuple(part.bar_count for part in parts)
    dance_parts = [p for p in parts if p.bar_count in DANCE_PART_BARS]
    aabb = len(parts) >= 2 and len(dance_parts) == len(parts) and all(p.repeated for p in parts)
    distinct = above = None
    if len(parts) >= 2:
        distinct = similarity(parts[0].notes(), parts[1].notes()) < COPY_SIMILARITY
        a, b = parts[0].mean_pitch(), parts[1].mean_pitch()
        above = None if a is None or b is None else b > a
    return FormFigures(_shape(parts), bars, aabb, distinct, above, _phrase_repetition(parts))


def tune_form(body: str, meter: str, unit: str | Fraction | None, key: str) -> FormFigures:
    """``form_figures`` of a body. Raises ABCError where the body does not lex."""
    return form_figures(read_form(body, meter, unit, key))
