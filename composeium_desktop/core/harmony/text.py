"""Chord symbols in ABC text: set aside and restore, add to tunes and tune books, score.

* :func:`set_aside_chords` strips chord symbols (quoted text not starting with ``^ _ < > @``)
  from the body lines of ABC text and returns the bare text with what it takes to put them
  back (:meth:`ChordsAside.restore`): what the model reads where it has never seen chords.
* :func:`harmonise_tune_text` / :func:`harmonise_book` add chords to tunes, leaving every other
  byte of the text as it was; tunes that already have chords are kept unless ``replace``.
* :func:`root_agreement` / :func:`score_book`: how often the chords' roots agree with a
  person's chords at every eighth-note point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import parse_tune, tunebook_spans
from composeium_desktop.core.abcnotation.keys import key_name, tonic_pc
from composeium_desktop.core.harmony.chords import chord_name, chord_root_pc
from composeium_desktop.core.harmony.harmoniser import ChordChoice, harmonise_melody
from composeium_desktop.core.harmony.mode import read_mode
from composeium_desktop.core.harmony.reading import Melody, read_body, read_melody

_FIELD_LINE = re.compile(r"[A-Za-z+]:")
_ANNOT_PREFIX = "^_<>@"


@dataclass(frozen=True)
class ChordsAside:
    """Chord symbols taken out of a text: ``(offset in the bare text, "\\"Am\\"")`` in order."""

    symbols: tuple[tuple[int, str], ...] = ()
    bare_length: int = 0

    def __bool__(self) -> bool:
        return bool(self.symbols)

    @property
    def count(self) -> int:
        return len(self.symbols)

    def restore(self, text: str) -> str:
        """Put the symbols back into ``text``, which is the bare text, or the bare text with
        more written after it (a continuation): each symbol returns to its offset."""
        out = text
        for offset, symbol in reversed(self.symbols):
            if offset <= len(out):
                out = out[:offset] + symbol + out[offset:]
        return out

    def restore_after(self, prefix_length: int, text: str) -> str:
        """``text`` is the bare text's first ``prefix_length`` characters followed by new
        text: restore the symbols that stood within that prefix."""
        keep = tuple((o, s) for o, s in self.symbols if o <= prefix_length)
        return ChordsAside(keep, prefix_length).restore(text)


def set_aside_chords(text: str) -> tuple[str, ChordsAside]:
    """``text`` without its chord symbols, and what :meth:`ChordsAside.restore` needs.

    Only body lines are touched: field lines (``T:``, ``w:``...), ``%`` comments and
    annotations (``"^text"``) stay.  Text without chord symbols comes back unchanged.
    """
    if '"' not in text:
        return text, ChordsAside((), len(text))
    out: list[str] = []
    aside: list[tuple[int, str]] = []
    length = 0
    for line in text.splitlines(keepends=True):
        if _FIELD_LINE.match(line) or line.startswith("%"):
            out.append(line)
            length += len(line)
            continue
        i = 0
        pieces: list[str] = []
        while i < len(line):
            ch = line[i]
            if ch == "%":
                pieces.append(line[i:])
                break
            if ch == '"':
                close = line.find('"', i + 1)
                if close < 0:
                    pieces.append(line[i:])
                    break
                inner = line[i + 1 : close]
                if inner[:1] in _ANNOT_PREFIX and inner:
                    pieces.append(line[i : close + 1])
                else:
                    aside.append((length + sum(len(p) for p in pieces), line[i : close + 1]))
                i = close + 1
                continue
            j = i
            while j < len(line) and line[j] not in '"%':
                j += 1
            pieces.append(line[i:j])
            i = j
        bare_line = "".join(pieces)
        out.append(bare_line)
        length += len(bare_line)
    return "".join(out), ChordsAside(tuple(aside), length)


def strip_chords(text: str) -> str:
    """``text`` without its chord symbols (see :func:`set_aside_chords`)."""
    return set_aside_chords(text)[0]


def chord_symbols_to_write(
    melody: Melody, choices: list[ChordChoice]
) -> list[tuple[int, int, str]]:
    """``(line, col, name)`` in body coordinates for each chord symbol to insert: where the
    chord changes, at the start of the tune and of every part."""
    by_onset: dict[Fraction, tuple[int, int]] = {}
    for note in melody.notes:
        by_onset.setdefault(note.onset, (note.line, note.col))
    out: list[tuple[int, int, str]] = []
    previous = None
    for t, choice in enumerate(choices):
        name = chord_name(choice.chord, choice.key)
        new_part = t == 0 or choices[t - 1].slot.part_end
        if name == previous and not new_part:
            continue
        at = by_onset.get(choice.onset)
        if at is None:
            continue
        out.append((at[0], at[1], name))
        previous = name
    return out


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def harmonise_tune_text(text: str, style: str = "simple", replace: bool = False) -> str:
    """One tune's text with chord symbols added (see the module docstring); a tune that
    already has chords comes back unchanged unless ``replace``.  Raises ABCError where the
    body does not lex."""
    source = strip_chords(text) if replace else text
    tune = parse_tune(source)
    melody = read_melody(tune)
    if melody.symbols and not replace:
        return text
    choices = harmonise_melody(melody, style)
    inserts = chord_symbols_to_write(melody, choices)
    offsets = _line_offsets(source)
    result = source
    for line, col, name in sorted(inserts, reverse=True):
        pos = offsets[tune.body_line - 1 + line - 1] + col - 1
        result = result[:pos] + f'"{name}"' + result[pos:]
    return result


@dataclass
class BookResult:
    """What :func:`harmonise_book` did: the new text, tunes harmonised, kept, and failed."""

    text: str
    harmonised: int = 0
    kept: int = 0
    errors: list[str] = field(default_factory=list)


def harmonise_book(text: str, style: str = "simple", replace: bool = False) -> BookResult:
    """Every tune of a tune book harmonised (:func:`harmonise_tune_text`); the text between
    tunes is kept byte for byte.  A tune that does not read is kept and reported."""
    spans = tunebook_spans(text)
    result = BookResult(text)
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        tune_text = text[start:end]
        try:
            new = harmonise_tune_text(tune_text, style, replace)
        except ABCError as exc:
            title = parse_tune(tune_text).title or "(untitled)"
            result.errors.append(f"{title}: {exc}")
            new = tune_text
        if new == tune_text and '"' in tune_text and not replace:
            result.kept += 1
        elif new != tune_text:
            result.harmonised += 1
        pieces.append(new)
        last = end
    pieces.append(text[last:])
    result.text = "".join(pieces)
    return result


def _chord_at(symbols: list[tuple[Fraction, int]], t: Fraction) -> int | None:
    root = None
    for onset, pc in symbols:
        if onset > t:
            break
        root = pc
    return root


def _roots(melody: Melody) -> list[tuple[Fraction, int]]:
    out = []
    for symbol in melody.symbols:
        pc = chord_root_pc(symbol.text)
        if pc is not None:
            out.append((symbol.onset, pc))
    return out


def root_agreement(reference: Melody, predicted: Melody) -> tuple[int, int]:
    """(agreeing points, points): at every eighth-note point from the reference's first chord
    on, whether the predicted chord's root is the reference chord's root."""
    ref, pred = _roots(reference), _roots(predicted)
    agree = total = 0
    t = Fraction(0)
    while t < reference.end:
        r = _chord_at(ref, t)
        if r is not None:
            total += 1
            agree += _chord_at(pred, t) == r
        t += Fraction(1, 8)
    return agree, total


@dataclass
class TuneScore:
    """One tune's score: its title and written key, the key the harmoniser heard
    (:func:`~composeium_desktop.core.harmony.mode.read_mode`), agreeing points, points, and
    the points where the written chord's root is the tonic."""

    title: str
    key: str
    agree: int
    total: int
    tonic_agree: int
    heard: str = ""


@dataclass
class BookScore:
    """Root agreement of the harmoniser over a chorded tune book, and of always-the-tonic."""

    style: str
    tunes: list[TuneScore] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        total = sum(t.total for t in self.tunes)
        return sum(t.agree for t in self.tunes) / total if total else 0.0

    @property
    def tonic_agreement(self) -> float:
        total = sum(t.total for t in self.tunes)
        return sum(t.tonic_agree for t in self.tunes) / total if total else 0.0


def score_book(text: str, style: str = "simple") -> BookScore:
    """Harmonise every chorded tune of ``text`` with its chords removed and compare the roots
    with the chords written (:func:`root_agreement`); tunes without chords are left out."""
    score = BookScore(style)
    for start, end in tunebook_spans(text):
        tune_text = text[start:end]
        try:
            reference = read_melody(parse_tune(tune_text))
            if not _roots(reference):
                continue
            guessed = harmonise_tune_text(tune_text, style, replace=True)
            predicted = read_melody(parse_tune(guessed))
        except ABCError as exc:
            score.errors.append(f"{parse_tune(tune_text).title}: {exc}")
            continue
        agree, total = root_agreement(reference, predicted)
        tonic = tonic_pc(reference.key.tonic)
        ref = _roots(reference)
        tonic_agree = 0
        t = Fraction(0)
        while t < reference.end:
            if _chord_at(ref, t) is not None:
                tonic_agree += _chord_at(ref, t) == tonic
            t += Fraction(1, 8)
        tune = parse_tune(tune_text)
        heard = read_mode(reference)
        score.tunes.append(
            TuneScore(
                tune.title,
                tune.key,
                agree,
                total,
                tonic_agree,
                key_name(heard.tonic, heard.mode),
            )
        )
    return score


def chords_in_time(text: str) -> list[tuple[Fraction, str]]:
    """The chord symbols of a tune's text (headers up to K: and a body) with their onsets in
    whole notes: what :func:`restore_chords_in_time` puts back into a rewritten body (one that
    was normalised, transposed or continued, where text offsets no longer hold)."""
    melody = read_melody(parse_tune(text))
    return [(s.onset, s.text) for s in melody.symbols if chord_root_pc(s.text) is not None]


def restore_chords_in_time(
    body: str, key: str, meter: str, unit: str, chords: list[tuple[Fraction, str]]
) -> str:
    """``body`` with each chord symbol put before the note that starts at its onset (symbols
    whose onset has no note starting there, or that already has a symbol, are left out)."""
    if not chords:
        return body
    melody = read_body(body, key, meter, unit)
    taken = {s.onset for s in melody.symbols}
    at: dict[Fraction, tuple[int, int]] = {}
    for note in melody.notes:
        at.setdefault(note.onset, (note.line, note.col))
    offsets = _line_offsets(body)
    inserts = []
    for onset, symbol in chords:
        if onset in at and onset not in taken:
            line, col = at[onset]
            inserts.append((offsets[line - 1] + col - 1, f'"{symbol}"'))
            taken.add(onset)
    out = body
    for pos, symbol in sorted(inserts, reverse=True):
        out = out[:pos] + symbol + out[pos:]
    return out
