"""A small ABC scanner for what the engraver needs and does not report itself.

Verovio's ABC importer keeps no source positions and ignores first/second ending marks, and it
crashes the whole process on some malformed bodies (an unclosed chord symbol, stray `]`,
`[[[`). This scanner walks one tune's text and yields, in document order, the musical events
(notes, rests, chords; grace notes are events too, as in Verovio's MEI), the ending marks, and
the first structural error it can see with its line and column, so that the worker never hands
Verovio such input and can link engraved elements back to the editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIELD_LINE = re.compile(r"^[A-Za-z+]:")
_NOTE_LETTERS = "ABCDEFGabcdefg"
_REST_LETTERS = "zxZX"


@dataclass(frozen=True)
class Event:
    """One note, rest or chord in the text: kind is "note", "rest" or "chord"."""

    kind: str
    line: int
    col: int
    letter: str = ""


@dataclass(frozen=True)
class EndingMark:
    """A first/second ending mark (`|1`, `:|2`, `[1`); `event_index` is the next event's index."""

    numbers: tuple[int, ...]
    line: int
    col: int
    event_index: int


@dataclass(frozen=True)
class ScanError:
    message: str
    line: int
    col: int


@dataclass(frozen=True)
class Scan:
    events: tuple[Event, ...]
    endings: tuple[EndingMark, ...]
    error: ScanError | None
    has_key: bool


def scan_tune(text: str) -> Scan:
    """Scan one tune (header and body) and report its events, endings and first error."""
    events: list[Event] = []
    endings: list[EndingMark] = []
    in_body = False
    has_key = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not in_body:
            if _FIELD_LINE.match(stripped) and stripped.startswith("K:"):
                in_body = True
                has_key = True
            continue
        if not stripped or stripped.startswith("%") or _FIELD_LINE.match(stripped):
            continue
        error = _scan_music_line(line, line_no, events, endings)
        if error is not None:
            return Scan(tuple(events), tuple(endings), error, has_key)
    return Scan(tuple(events), tuple(endings), None, has_key)


def _scan_music_line(
    line: str, line_no: int, events: list[Event], endings: list[EndingMark]
) -> ScanError | None:
    try:
        _LineScanner(line, line_no, events, endings).scan()
    except _Stop as stop:
        return stop.error
    return None


class _Stop(Exception):
    def __init__(self, error: ScanError) -> None:
        super().__init__(error.message)
        self.error = error


class _LineScanner:
    """One music line, left to right; each handler consumes its token and returns the next index."""

    def __init__(
        self, line: str, line_no: int, events: list[Event], endings: list[EndingMark]
    ) -> None:
        self.line = line
        self.line_no = line_no
        self.events = events
        self.endings = endings
        self.chord: int | None = None  # column of the open '['
        self.grace: int | None = None  # column of the open '{'
        self.after_bar = False

    def fail(self, message: str, col: int) -> None:
        raise _Stop(ScanError(message, self.line_no, col))

    def scan(self) -> None:
        i, line = 0, self.line
        while i < len(line):
            ch = line[i]
            if ch == "%":
                break
            if self.after_bar and ch.isdigit():
                i = self.ending(i, i)
                continue
            self.after_bar = False
            i = self.step(ch, i)
        if self.chord is not None:
            self.fail("unclosed chord (missing ']')", self.chord)
        if self.grace is not None:
            self.fail("unclosed grace notes (missing '}')", self.grace)

    def step(self, ch: str, i: int) -> int:
        if ch == '"' or ch == "!" or (ch == "+" and self.chord is None):
            return self.quoted(ch, i)
        if ch == "[":
            return self.open_bracket(i)
        if ch == "]":
            return self.close_chord(i)
        if ch in "{}":
            return self.grace_mark(ch, i)
        if ch in "|:":
            return self.bar(i)
        if ch in "^_=" or ch in _NOTE_LETTERS:
            return self.note(i)
        if ch in _REST_LETTERS:
            if self.chord is not None:
                self.fail("rest inside a chord", i + 1)
            self.events.append(Event("rest", self.line_no, i + 1, ch))
        return i + 1

    def quoted(self, quote: str, i: int) -> int:
        close = _closing(self.line, quote, i + 1)
        if close < 0:
            if quote == '"':
                self.fail("unclosed chord symbol or annotation (missing '\"')", i + 1)
            self.fail(f"unclosed decoration (missing '{quote}')", i + 1)
        return close + 1

    def ending(self, start: int, digits: int) -> int:
        numbers, end = _ending_numbers(self.line, digits)
        self.endings.append(EndingMark(numbers, self.line_no, start + 1, len(self.events)))
        self.after_bar = False
        return end

    def open_bracket(self, i: int) -> int:
        line, col = self.line, i + 1
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if nxt.isdigit():
            return self.ending(i, i + 1)
        if nxt == "|":
            self.after_bar = True
            return i + 2
        if re.match(r"[A-Za-z]:", line[i + 1 : i + 3]):
            close = line.find("]", i)
            if close < 0:
                self.fail("unclosed inline field (missing ']')", col)
            return close + 1
        if self.chord is not None:
            self.fail("'[' inside a chord", col)
        self.chord = col
        self.events.append(Event("chord", self.line_no, col))
        return i + 1

    def close_chord(self, i: int) -> int:
        if self.chord is None:
            self.fail("']' without a matching '['", i + 1)
        if i == self.chord:
            self.fail("empty chord '[]'", i)
        self.chord = None
        return i + 1

    def grace_mark(self, ch: str, i: int) -> int:
        if ch == "{":
            if self.grace is not None:
                self.fail("'{' inside grace notes", i + 1)
            self.grace = i + 1
        else:
            if self.grace is None:
                self.fail("'}' without a matching '{'", i + 1)
            self.grace = None
        return i + 1

    def bar(self, i: int) -> int:
        line = self.line
        if self.chord is not None:
            self.fail("bar line inside a chord (missing ']')", self.chord)
        while i < len(line) and line[i] in "|:]":
            if line[i] == "]" and line[i - 1] != "|":
                break
            i += 1
        self.after_bar = True
        return i

    def note(self, i: int) -> int:
        line, j = self.line, i
        while j < len(line) and line[j] in "^_=":
            j += 1
        if j >= len(line) or line[j] not in _NOTE_LETTERS:
            self.fail("accidental without a note", i + 1)
        if self.chord is None:
            self.events.append(Event("note", self.line_no, i + 1, line[j].lower()))
        return j + 1


def _closing(line: str, quote: str, start: int) -> int:
    """Index of the closing `quote`, or -1 if a comment (`%`) or the line ends first."""
    for j in range(start, len(line)):
        if line[j] == quote:
            return j
        if line[j] == "%" and line[j - 1] != "\\":
            return -1
    return -1


def _ending_numbers(line: str, i: int) -> tuple[tuple[int, ...], int]:
    match = re.match(r"\d+(?:[-,]\d+)*", line[i:])
    assert match is not None
    numbers: list[int] = []
    for part in match.group(0).split(","):
        if "-" in part:
            lo, hi = (int(p) for p in part.split("-", 1))
            numbers.extend(range(lo, min(hi, lo + 8) + 1))
        else:
            numbers.append(int(part))
    return tuple(numbers), i + match.end()


def tempo_bpm(text: str) -> float | None:
    """The Q: field as quarter notes per minute ("1/4=110", "3/8=120", "120", '"Allegro" 1/2=80')."""
    from fractions import Fraction

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("K:"):
            break
        if not line.startswith("Q:"):
            continue
        value = re.sub(r'"[^"]*"', " ", line[2:]).strip()
        match = re.search(r"((?:\d+/\d+\s*)+)=\s*(\d+(?:\.\d+)?)", value)
        try:
            if match:
                beat = sum(Fraction(part) for part in match.group(1).split())
                bpm = float(match.group(2)) * float(beat) * 4.0
            else:
                number = re.search(r"\d+(?:\.\d+)?", value)
                if number is None:
                    return None
                bpm = float(number.group(0))
        except (ValueError, ZeroDivisionError):
            return None
        return bpm if 10.0 <= bpm <= 1000.0 else None
    return None


def close_final_bar(text: str) -> str:
    """Append a bar line to the last music line if it lacks one.

    Verovio's ABC importer silently drops notes after the last bar line of a tune.
    """
    lines = text.splitlines()
    in_body = False
    last = None
    for index, raw in enumerate(lines):
        stripped = raw.strip()
        if not in_body:
            in_body = stripped.startswith("K:")
            continue
        if stripped and not stripped.startswith("%") and not _FIELD_LINE.match(stripped):
            last = index
    if last is None:
        return text
    music = lines[last].split("%", 1)[0].rstrip().rstrip("\\").rstrip()
    if music.endswith(("|", "]", ":")) and not music.endswith("[|"):
        return text
    lines[last] = music + " |"
    return "\n".join(lines) + "\n"


_BAR = re.compile(r"\[?[|:]+\]?")
_ENDING_MARK = re.compile(r"\[?\d+(?:[-,]\d+)*")


def _ends_with_bar(parts: list[str]) -> bool:
    """Whether the text written so far ends with a bar line (so digits are an ending)."""
    return bool(parts) and parts[-1][-1:] in ("|", ":") and len(parts[-1]) <= 2


def safe_repeats(text: str) -> str:
    """Rewrite repeat bar lines that crash Verovio's ABC importer into equivalent safe ones.

    Verovio (6.4) crashes on a second repeat end with no repeat start since the first one
    (`|:A|1B:|2C:|`), on unusual bar tokens (`:|:`, `[|:`, `|:|`), on decorations with
    blanks (`! G3!`, dropped), on some ending marks (`[2"G"`) and on empty measures in
    repeats (`:|w|:  |  c:|`). Ending marks are dropped, since the importer ignores them
    anyway (the engraver adds endings from this scan). Every bar token becomes one of `|`,
    `||`, `|]`, `[|`, `|:`, `:|`, `::`; a repeat end that could not repeat anything new
    becomes a plain bar; bars with no note or rest between them are merged. Note order never
    changes.
    """
    out: list[str] = []
    in_body = False
    ended_since_start = False
    for raw in text.splitlines(keepends=True):
        stripped = raw.strip()
        if not in_body:
            in_body = stripped.startswith("K:")
            out.append(raw)
            continue
        if not stripped or stripped.startswith("%") or _FIELD_LINE.match(stripped):
            out.append(raw)
            continue
        line, ended_since_start = _safe_line(raw, ended_since_start)
        out.append(line)
    return "".join(out)


def _safe_line(line: str, ended: bool) -> tuple[str, bool]:
    parts: list[str] = []
    i, n = 0, len(line)
    last_bar: int | None = None  # index in parts of the last bar token on this line
    music = False  # a note or rest since that bar
    ended_before = ended
    while i < n:
        ch = line[i]
        if ch == "%":
            parts.append(line[i:])
            break
        if ch in '"!':
            close = line.find(ch, i + 1)
            close = n - 1 if close < 0 else close
            token = line[i : close + 1]
            # A decoration with blanks in it (`! G3!`) aborts the importer; drop it.
            if ch == "!" and re.search(r"\s", token):
                token = ""
            parts.append(token)
            i = close + 1
            continue
        ending = _ENDING_MARK.match(line, i) if ch == "[" or _ends_with_bar(parts) else None
        if ending is not None and ending.group(0):
            # Verovio ignores endings (they come from this scan) and aborts on some (`[2"G"`).
            parts.append(" ")
            i = ending.end()
            continue
        if ch == "[" and re.match(r"\[[A-Za-z]:", line[i:]):
            close = line.find("]", i)
            close = n - 1 if close < 0 else close
            parts.append(line[i : close + 1])
            i = close + 1
            continue
        match = _BAR.match(line, i) if ch in "|:[" else None
        if match is None or not match.group(0) or match.group(0) == "[":
            parts.append(ch)
            music = music or ch in _NOTE_LETTERS or ch in _REST_LETTERS
            i += 1
            continue
        i = match.end()
        if last_bar is not None and not music and "|" in match.group(0):
            # An empty measure between repeat signs can crash the importer: merge the bars.
            merged = _merge_bars(parts[last_bar], _canonical_bar(match.group(0), False)[0])
            parts[last_bar] = merged
            ended = False if merged.endswith(":") else merged.startswith(":") or ended_before
            continue
        ended_before = ended
        bar, ended = _canonical_bar(match.group(0), ended)
        last_bar, music = len(parts), False
        parts.append(bar)
    return "".join(parts), ended


def _merge_bars(first: str, second: str) -> str:
    """One canonical bar for two with nothing but blanks between them."""
    ends = first.startswith(":") or (second.startswith(":") and not first.endswith(":"))
    starts = second.endswith(":") or (first.endswith(":") and not second.startswith(":"))
    if starts and ends:
        return "::"
    if starts:
        return "|:"
    if ends:
        return ":|"
    if "]" in first + second:
        return "|]"
    return "||" if len(first + second) > 2 else "|"


def _canonical_bar(token: str, ended: bool) -> tuple[str, bool]:
    """A bar token Verovio survives, and whether a repeat has ended since the last start."""
    if "|" not in token:
        return token, ended
    starts, ends = token.endswith(":"), token.startswith(":")
    if starts and ends:
        return "::", False
    if starts:
        return "|:", False
    if ends:
        return ("|" if ended else ":|"), True
    if token.endswith("]"):
        return "|]", ended
    if token.startswith("["):
        return "[|", ended
    return ("||" if token.count("|") > 1 else "|"), ended


def first_tune(text: str) -> str:
    """The text up to the end of the first tune's body: a blank line or the next X: field.

    Line numbers are unchanged (only the tail is cut), so positions still match the editor.
    """
    lines = text.splitlines(keepends=True)
    in_body = False
    for index, raw in enumerate(lines):
        stripped = raw.strip()
        if not in_body:
            in_body = stripped.startswith("K:")
            continue
        if not stripped or stripped.startswith("X:"):
            return "".join(lines[:index])
    return text
