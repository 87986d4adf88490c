"""Tune books and tune headers: splitting, header fields, meter, unit length and tempo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.keys import normalise_key

_FIELD_RE = re.compile(r"([A-Za-z+]):(.*)$")
_X_RE = re.compile(r"^X:", re.M)
_METER_RE = re.compile(r"\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*/\s*(\d+)$")
_TEMPO_RE = re.compile(r"(?:(\d+)\s*/\s*(\d+)(?:\s+\d+\s*/\s*\d+)*\s*=\s*)?(\d+)")
_TEMPO_NOTE_RE = re.compile(r"[A-G]\d*\s*=\s*(\d+)")


@dataclass(frozen=True)
class Tune:
    """One tune of a tune book: header fields, normalised key/meter/unit, and the body text."""

    number: int | None
    title: str
    fields: tuple[tuple[str, str], ...]
    key: str
    meter: str
    unit: str
    rhythm: str | None
    tempo: int | None
    body: str
    body_line: int

    def field(self, name: str) -> str | None:
        """The first header field ``name`` (``"T"``, ``"Z"`` ...), or None."""
        for letter, value in self.fields:
            if letter == name:
                return value
        return None

    @property
    def raw_key(self) -> str:
        """The K: value as written (``"E Minor"``), or ``"C"`` when there is none."""
        value = self.field("K")
        return "C" if value is None else value

    def header_text(self) -> str:
        """The header lines, rebuilt from :attr:`fields`."""
        return "".join(f"{letter}:{value}\n" for letter, value in self.fields)

    def to_abc(self) -> str:
        """The tune as ABC text (header then body)."""
        return self.header_text() + self.body + ("" if self.body.endswith("\n") else "\n")


def normalise_meter(m: str) -> str:
    """Normalise an M: value: ``"C" -> "4/4"``, ``"C|" -> "2/2"``, ``"2+3/8" -> "5/8"``, ``"none"``.

    Raises :class:`ABCError` when the value is no meter.
    """
    text = m.split("%", 1)[0].strip()
    low = text.lower()
    if low in ("", "none") or low.startswith("frei"):
        return "none"
    if text == "C":
        return "4/4"
    if text == "C|":
        return "2/2"
    match = _METER_RE.match(text)
    if match is None:
        raise ABCError(f"cannot read the meter {m.strip()!r}")
    num = sum(int(part) for part in match.group(1).split("+"))
    den = int(match.group(2))
    if num == 0 or den == 0:
        raise ABCError(f"meter {m.strip()!r} has a zero in it")
    return f"{num}/{den}"


def meter_fraction(meter: str) -> Fraction | None:
    """Length of one bar in whole notes (``"6/8" -> 3/4``), None for a free meter."""
    norm = normalise_meter(meter)
    if norm == "none":
        return None
    num, den = norm.split("/")
    return Fraction(int(num), int(den))


def default_unit_length(meter: str) -> Fraction:
    """ABC 2.1 default L: 1/16 when the meter is below 0.75 (2/4, 3/8), else 1/8 (also free meter)."""
    bar = meter_fraction(meter)
    if bar is not None and bar < Fraction(3, 4):
        return Fraction(1, 16)
    return Fraction(1, 8)


def parse_unit(value: str) -> Fraction:
    """Read an L: value such as ``"1/8"`` (``"1"`` means a whole note)."""
    text = value.split("%", 1)[0].strip()
    match = re.fullmatch(r"(\d+)(?:\s*/\s*(\d+))?", text)
    if match is None or int(match.group(1)) == 0 or (match.group(2) and int(match.group(2)) == 0):
        raise ABCError(f"cannot read the unit length {value.strip()!r}")
    return Fraction(int(match.group(1)), int(match.group(2) or 1))


def format_fraction(value: Fraction) -> str:
    """``Fraction(1, 8) -> "1/8"``, ``Fraction(1) -> "1/1"``."""
    return f"{value.numerator}/{value.denominator}"


def parse_tempo(q: str) -> int | None:
    """Beats per minute of a Q: value: ``"1/4=120"``, ``"120"``, ``'"Allegro" 1/4=120'``.

    The beat is whatever note the field names; a text-only tempo gives None.
    """
    text = re.sub(r'"[^"]*"', " ", q.split("%", 1)[0]).strip()
    match = _TEMPO_RE.search(text) or _TEMPO_NOTE_RE.search(text)
    if match is None:
        return None
    bpm = int(match.group(match.lastindex or 1))
    return bpm if bpm > 0 else None


def _header_end(lines: list[str], start: int) -> int:
    """Index of the first body line after the header beginning at ``lines[start]``."""
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            return i
        if stripped.startswith("%"):
            i += 1
            continue
        match = _FIELD_RE.match(line)
        if match is None:
            if not _key_line_follows(lines, i):
                return i
            i += 1  # a stray text line inside the header (abc2abc only warns): skipped
            continue
        i += 1
        if match.group(1) == "K":
            return i
    return i


def _key_line_follows(lines: list[str], start: int) -> bool:
    """Whether a ``K:`` line comes after ``lines[start]`` before an empty line or the next tune.

    Real tune books have text lines inside headers (a ``Q:`` that lost its letter, the tail of a
    ``%%`` directive continued with ``\\``); the header then still ends at its ``K:`` line.
    """
    for line in lines[start + 1 : start + 40]:
        if not line.strip() or line.startswith("X:"):
            return False
        if line.startswith("K:"):
            return True
    return False


def _parse_lines(lines: list[str], first_line: int) -> Tune:
    """Build a :class:`Tune` from its lines (header then body); ``first_line`` is 1-based."""
    end = _header_end(lines, 0)
    fields: list[tuple[str, str]] = []
    for line in lines[:end]:
        match = _FIELD_RE.match(line)
        if match is not None:
            letter, value = match.group(1), match.group(2).strip()
            if letter == "+" and fields:
                prev_letter, prev_value = fields[-1]
                fields[-1] = (prev_letter, f"{prev_value} {value}")
            else:
                fields.append((letter, value))
    body_lines = lines[end:]
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    return _make_tune(fields, "".join(body_lines), first_line + end)


def _first(fields: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in fields if k == name), None)


def _make_tune(fields: list[tuple[str, str]], body: str, body_line: int) -> Tune:
    number_text = _first(fields, "X")
    number = None
    if number_text is not None:
        digits = re.match(r"\s*(\d+)", number_text)
        number = int(digits.group(1)) if digits else None
    try:
        key = normalise_key(_first(fields, "K") or "C")
    except ABCError:
        key = "C"
    try:
        meter = normalise_meter(_first(fields, "M") or "none")
    except ABCError:
        meter = "none"
    unit_text = _first(fields, "L")
    try:
        unit = parse_unit(unit_text) if unit_text is not None else default_unit_length(meter)
    except ABCError:
        unit = default_unit_length(meter)
    tempo_text = _first(fields, "Q")
    return Tune(
        number=number,
        title=_first(fields, "T") or "",
        fields=tuple(fields),
        key=key,
        meter=meter,
        unit=format_fraction(unit),
        rhythm=_first(fields, "R"),
        tempo=parse_tempo(tempo_text) if tempo_text is not None else None,
        body=body,
        body_line=body_line,
    )


def parse_tune(text: str) -> Tune:
    """Parse one tune (header fields up to K:, then the body up to the first empty line).

    Tolerant: a bad K:/M:/L: falls back to C / none / the default unit (``validate`` reports it).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines(keepends=True)
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("%")):
        start += 1
    tunes = _split_lines(lines[start:], start + 1)
    if tunes:
        return tunes[0]
    return _parse_lines(lines[start:], start + 1)


def _tune_ranges(lines: list[str]) -> list[tuple[int, int]]:
    """``(first, end)`` line indices of each tune: from an ``X:`` line to the next empty line
    or ``X:`` line."""
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("X:"):
            i += 1
            continue
        j = _header_end(lines, i)
        while j < len(lines) and lines[j].strip() and not lines[j].startswith("X:"):
            j += 1
        ranges.append((i, j))
        i = j
    return ranges


def _split_lines(lines: list[str], first_line: int) -> list[Tune]:
    return [_parse_lines(lines[i:j], first_line + i) for i, j in _tune_ranges(lines)]


def split_tunebook(text: str) -> list[Tune]:
    """Split a tune book into tunes (each starts at ``X:``); text without ``X:`` is one tune."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _X_RE.search(text):
        return [parse_tune(text)] if text.strip() else []
    return _split_lines(text.splitlines(keepends=True), 1)


def tunebook_spans(text: str) -> list[tuple[int, int]]:
    """Where each tune of :func:`split_tunebook` lies in ``text`` itself (line endings as
    written): ``(start, end)`` character offsets, the end just after the tune's last line.

    The text between spans (blank lines, comments, a file header) belongs to no tune, so a
    book can be rebuilt byte for byte around one changed tune.
    """
    lines = text.splitlines(keepends=True)
    if not _X_RE.search(text.replace("\r\n", "\n").replace("\r", "\n")):
        return [(0, len(text))] if text.strip() else []
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return [(offsets[i], offsets[j]) for i, j in _tune_ranges(lines)]
