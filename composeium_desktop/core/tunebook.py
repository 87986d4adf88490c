"""A tune book as the user's file: its tunes in order, kept verbatim, with the text between them.

The notation core splits the book (:func:`~composeium_desktop.core.abcnotation.header.tunebook_spans`
and :func:`~composeium_desktop.core.abcnotation.split_tunebook`); this module keeps every tune's
text as written and every gap (blank lines, comments, a file header) as it was, so that writing
the book back changes only the tunes the user changed. Books are immutable: each edit returns a
new :class:`TuneBook`.

Melody search: :func:`melody_intervals` reads a few notes of ABC (``"DE^FG"``) and
:meth:`TuneBook.search_melody` finds the tunes whose melody contains the same succession of
intervals in any key (so ``"DE^FG"`` also finds ``"GABc"`` and ``"AB^cd"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from composeium_desktop.core.abcnotation import (
    ABCError,
    Tune,
    key_signature,
    lex,
    parse_key,
    parse_tune,
    split_tunebook,
)
from composeium_desktop.core.abcnotation.header import tunebook_spans
from composeium_desktop.core.abcnotation.transpose import note_midi

_ACCIDENTALS = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
_X_LINE = re.compile(r"(?m)^X:[^\n]*")


def melody_pitches(body: str, key: str = "C") -> list[int]:
    """MIDI pitches of the melody as written: key signature, inline ``K:`` changes and the
    accidentals carried through a bar honoured; tied notes count once, grace notes not at all,
    a chord by its first note. Raises ABCError where the body does not lex."""
    signature = key_signature(parse_key(key))
    carried: dict[tuple[str, str], int] = {}
    pitches: list[int] = []
    in_chord = chord_note_taken = in_grace = tied = False
    for token in lex(body):
        kind = token.kind
        if kind == "bar":
            carried.clear()
        elif kind in ("field", "fieldline") and isinstance(token.data, tuple):
            letter, value = token.data
            if letter == "K":
                signature = key_signature(parse_key(str(value)))
        elif kind == "chord":
            in_chord, chord_note_taken = True, False
        elif kind == "chordend":
            in_chord = False
        elif kind == "grace":
            in_grace = True
        elif kind == "graceend":
            in_grace = False
        elif kind == "tie":
            tied = True
        elif kind == "note" and not in_grace:
            accidental_text, letter, octave = token.data  # type: ignore[misc]
            if accidental_text:
                accidental = _ACCIDENTALS[accidental_text]
                carried[(letter, octave)] = accidental
            else:
                accidental = carried.get((letter, octave), signature.get(letter.upper(), 0))
            pitch = note_midi(letter, octave, accidental)
            if in_chord:
                if chord_note_taken:
                    continue
                chord_note_taken = True
            if tied and pitches and pitches[-1] == pitch:
                tied = False
                continue
            tied = False
            pitches.append(pitch)
        elif kind == "rest":
            tied = False
    return pitches


def melody_intervals(query: str, key: str = "C") -> tuple[int, ...]:
    """The intervals (semitones) between the notes of ``query``, a few notes of ABC.

    Raises ABCError when the query does not lex or has fewer than two notes."""
    pitches = melody_pitches(query, key)
    if len(pitches) < 2:
        raise ABCError("a melody search needs at least two notes, e.g. DE^FG")
    return tuple(b - a for a, b in zip(pitches, pitches[1:], strict=False))


def _contains(sequence: tuple[int, ...], pattern: tuple[int, ...]) -> bool:
    n = len(pattern)
    return any(sequence[i : i + n] == pattern for i in range(len(sequence) - n + 1))


def _ensure_newline(text: str, newline: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", newline) if newline != "\n" else text


@dataclass(frozen=True)
class BookTune:
    """One tune of a book: its text exactly as in the file, and what the core reads in it."""

    text: str

    @cached_property
    def tune(self) -> Tune:
        return parse_tune(self.text)

    @property
    def title(self) -> str:
        return self.tune.title or "Untitled"

    @property
    def key(self) -> str:
        return self.tune.raw_key

    @property
    def meter(self) -> str:
        return self.tune.field("M") or ""

    @property
    def genre(self) -> str:
        return (self.tune.rhythm or "").strip()

    @property
    def number(self) -> int | None:
        return self.tune.number

    @cached_property
    def intervals(self) -> tuple[int, ...]:
        """Intervals of the melody; empty where the body does not lex."""
        try:
            pitches = melody_pitches(self.tune.body, self.tune.raw_key)
        except ABCError:
            return ()
        return tuple(b - a for a, b in zip(pitches, pitches[1:], strict=False))


@dataclass(frozen=True)
class TuneBook:
    """``gaps[i]`` is the text before ``tunes[i]``; ``gaps[-1]`` the text after the last tune."""

    gaps: tuple[str, ...]
    tunes: tuple[BookTune, ...]
    newline: str = "\n"

    @classmethod
    def parse(cls, text: str) -> TuneBook:
        spans = tunebook_spans(text)
        gaps: list[str] = []
        tunes: list[BookTune] = []
        position = 0
        for start, end in spans:
            gaps.append(text[position:start])
            tunes.append(BookTune(text[start:end]))
            position = end
        gaps.append(text[position:])
        newline = "\r\n" if "\r\n" in text else "\n"
        return cls(tuple(gaps), tuple(tunes), newline)

    @property
    def text(self) -> str:
        """The whole book as it is written to disk."""
        parts = [self.gaps[0]]
        for tune, gap in zip(self.tunes, self.gaps[1:], strict=True):
            parts += [tune.text, gap]
        return "".join(parts)

    def __len__(self) -> int:
        return len(self.tunes)

    def tune_text(self, index: int) -> str:
        return self.tunes[index].text

    def next_number(self) -> int:
        """An X: number no tune of the book uses yet."""
        numbers = [t.number for t in self.tunes if t.number is not None]
        return max(numbers, default=0) + 1

    def _numbered(self, text: str, number: int) -> str:
        """``text`` with an X: line first (a tune without one would merge into the one before)."""
        if re.match(r"\s*X:", text):
            return text
        return f"X:{number}{self.newline}{text.lstrip()}"

    def _separator(self) -> str:
        return self.newline

    def replace(self, index: int, text: str) -> TuneBook:
        """The book with tune ``index`` replaced by ``text``, which may hold several tunes
        (pasted together) or none (the tune is deleted). Everything else stays byte for byte."""
        if text.strip() == self.tunes[index].text.strip() and text.strip():
            return self
        piece = TuneBook.parse(_ensure_newline(text, self.newline) if text.strip() else "")
        if not piece.tunes:
            return self.delete(index)
        if len(self) > 1 and len(piece) == 1:
            piece = TuneBook.parse(self._numbered(piece.text, self.tunes[index].number or 1))
        tunes = list(self.tunes)
        gaps = list(self.gaps)
        inner_gaps = [g if g.strip() or not g else self._separator() for g in piece.gaps[1:-1]]
        lead = piece.gaps[0]
        tail = piece.gaps[-1] if piece.gaps[-1].strip() else ""
        tunes[index : index + 1] = list(piece.tunes)
        gaps[index] = gaps[index] + lead
        gaps[index + 1 : index + 1] = inner_gaps
        gaps[index + len(piece.tunes)] = tail + gaps[index + len(piece.tunes)]
        return TuneBook(tuple(gaps), tuple(tunes), self.newline)

    def insert(self, index: int, text: str) -> TuneBook:
        """The book with ``text`` (one tune, numbered if it has no X:) as tune ``index``."""
        tune_text = _ensure_newline(
            self._numbered(text.strip("\n"), self.next_number()), self.newline
        )
        tunes = list(self.tunes)
        gaps = list(self.gaps)
        if tunes and not re.match(r"\s*X:", tunes[0].text):
            tunes[0] = BookTune(self._numbered(tunes[0].text, 1))
        if tunes and not tunes[-1].text.endswith(("\n", "\r")):
            tunes[-1] = BookTune(tunes[-1].text + self.newline)
        tunes.insert(index, BookTune(tune_text))
        if not self.tunes:
            gaps = [gaps[0], ""]
        elif index >= len(self.tunes):
            # After the last tune: a blank line before it; the book's trailing text stays last.
            gaps.insert(index, self._separator())
        else:
            gaps.insert(index + 1, self._separator())
        return TuneBook(tuple(gaps), tuple(tunes), self.newline)

    def append(self, text: str) -> TuneBook:
        return self.insert(len(self), text)

    def duplicate(self, index: int) -> TuneBook:
        """A copy of tune ``index`` right after it, with a new X: number."""
        text = _X_LINE.sub(f"X:{self.next_number()}", self.tunes[index].text, count=1)
        return self.insert(index + 1, text)

    def delete(self, index: int) -> TuneBook:
        tunes = list(self.tunes)
        gaps = list(self.gaps)
        del tunes[index]
        # Drop the separator after the tune (before it, for the last of several tunes).
        if index + 1 < len(gaps) - 1:
            del gaps[index + 1]
        elif index > 0:
            del gaps[index]
        else:
            gaps = [gaps[0] + gaps[-1]] if not tunes else gaps
        return TuneBook(tuple(gaps), tuple(tunes), self.newline)

    def move(self, index: int, to: int) -> TuneBook:
        """Tune ``index`` moved to position ``to``; the gaps between tunes stay where they are."""
        tunes = list(self.tunes)
        tune = tunes.pop(index)
        tunes.insert(to, tune)
        return TuneBook(self.gaps, tuple(tunes), self.newline)

    def search_title(self, query: str) -> list[int]:
        """Indices of the tunes whose title (any T: line) contains ``query``, case-insensitive."""
        needle = query.strip().casefold()
        found = []
        for i, tune in enumerate(self.tunes):
            titles = [v for k, v in tune.tune.fields if k == "T"] or [tune.title]
            if any(needle in title.casefold() for title in titles):
                found.append(i)
        return found

    def search_melody(self, query: str) -> list[int]:
        """Indices of the tunes containing the notes of ``query`` in any key (by intervals).

        Raises ABCError when the query is no melody (see :func:`melody_intervals`)."""
        pattern = melody_intervals(query)
        return [i for i, tune in enumerate(self.tunes) if _contains(tune.intervals, pattern)]


def tune_at(text: str, position: int) -> tuple[int, int] | None:
    """``(start, end)`` of the tune of ``text`` that holds character ``position`` (the one
    before it, when the position is between tunes); None when the text has no tune."""
    spans = tunebook_spans(text)
    if not spans:
        return None
    chosen = spans[0]
    for start, end in spans:
        if start <= position:
            chosen = (start, end)
    return chosen


__all__ = [
    "BookTune",
    "TuneBook",
    "melody_intervals",
    "melody_pitches",
    "split_tunebook",
    "tune_at",
]
