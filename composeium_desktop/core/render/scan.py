"""What the engraver needs from the text and Verovio does not give: built on the notation core.

Verovio's ABC importer keeps no source positions and ignores first/second ending marks, and it
crashes the whole process on some malformed bodies (an unclosed chord symbol, stray `]`,
`[[[`). :func:`scan_tune` reads one tune with the notation core's lexer (the one reader of ABC:
its bar lines, endings and errors) and lists, in document order, the musical events (notes,
rests, chords; grace notes are events too, as in Verovio's MEI), the ending marks, and the
core's first error with its line and column, so that the worker never hands Verovio such input
and can link engraved elements back to the editor. The rest of this module rewrites the few
constructs Verovio's importer crashes on (:func:`safe_repeats`, :func:`close_final_bar`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composeium_desktop.core.abcnotation.lexer import Token

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
    voice: str = ""  # the V: voice it is in ("" before any V:)


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
    first_voice: str = ""  # the voice that is played (and continued by the generator)


def scan_tune(text: str) -> Scan:
    """Scan one tune (header and body) with the notation core: events, endings, first error."""
    from composeium_desktop.core.abcnotation import ABCError, lex, parse_tune

    tune = parse_tune(text)
    has_key = tune.field("K") is not None
    tokens: list[Token] = []
    error: ScanError | None = None
    if has_key:
        try:
            tokens = lex(tune.body, tune.body_line)
        except ABCError as exc:
            error = ScanError(exc.message, exc.line, exc.column)
    header_voice = tune.field("V")
    voice = header_voice.split()[0] if header_voice and header_voice.split() else ""
    events, endings = _events(tokens, voice)
    first = voice or next((e.voice for e in events if e.voice), "")
    return Scan(tuple(events), tuple(endings), error, has_key, first)


def _events(tokens: list[Token], voice: str = "") -> tuple[list[Event], list[EndingMark]]:
    """Events and ending marks of a lexed body (see :class:`Event`, :class:`EndingMark`)."""
    events: list[Event] = []
    endings: list[EndingMark] = []
    in_chord = False
    for tok in tokens:
        kind = tok.kind
        if kind == "note" and not in_chord:
            events.append(Event("note", tok.line, tok.col, tok.data[1].lower(), voice))
        elif kind in ("rest", "mrest") and not in_chord:
            events.append(Event("rest", tok.line, tok.col, tok.text[0], voice))
        elif kind == "chord":
            in_chord = True
            events.append(Event("chord", tok.line, tok.col, "", voice))
        elif kind in ("field", "fieldline") and tok.data[0] == "V" and tok.data[1].split():
            voice = tok.data[1].split()[0]
        elif kind == "chordend":
            in_chord = False
        elif kind == "ending" or (kind == "bar" and tok.data[1]):
            numbers = tok.data if kind == "ending" else tok.data[1]
            col = tok.col + (len(tok.data[0]) if kind == "bar" else 0)
            endings.append(EndingMark(_ending_numbers(numbers), tok.line, col, len(events)))
    return events, endings


def _ending_numbers(text: str) -> tuple[int, ...]:
    """``"1"`` -> (1,), ``"1,3"`` -> (1, 3), ``"1-3"`` -> (1, 2, 3) (ranges capped at 9 numbers)."""
    numbers: list[int] = []
    for part in text.lstrip("[").split(","):
        if "-" in part:
            lo, hi = (int(p) for p in part.split("-", 1))
            numbers.extend(range(lo, min(hi, lo + 8) + 1))
        elif part:
            numbers.append(int(part))
    return tuple(numbers)


_TOLERATED_MISC = frozenset({"!", "=", "=20", "}", "+"})


def verovio_text(text: str) -> str:
    """The tune as Verovio's importer reads it best: what the notation core tolerates from real
    tune books (ABC 2.0 ``!`` line breaks, quoted-printable residue, stray ``}``, ``y``
    spacers, hard-wrapped notes and chords, a repeat sign or ending numbers that begin a line)
    is rewritten in plain ABC 2.1. Text the core cannot read comes back unchanged.
    """
    from composeium_desktop.core.abcnotation import ABCError, parse_tune
    from composeium_desktop.core.abcnotation.lexer import raw_tokens

    tune = parse_tune(text)
    if tune.field("K") is None:
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines(keepends=True)
    head = "".join(lines[: tune.body_line - 1])
    try:
        tokens = raw_tokens(tune.body, tune.body_line, 1)
    except ABCError:
        return text
    tail = lines[tune.body_line - 1 + len(tune.body.splitlines()) :]
    return head + "".join(_plain(tok.kind, tok.text) for tok in tokens) + "".join(tail)


def _plain(kind: str, text: str) -> str:
    """One token's text in plain ABC 2.1 (see :func:`verovio_text`)."""
    if kind == "misc" and (text in _TOLERATED_MISC or text[0] in "*y"):
        return " "
    if kind == "bar" and text == ":":
        return "|:"
    if kind == "ending" and not text.startswith("["):
        return "[" + text
    if kind == "space" and text == "\n":
        return " "
    if kind == "note":
        text = text.replace("=3D", "=")
    return text.replace("\n", "") if kind in ("note", "rest", "chordend") else text


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

    A repeat end with no repeat start since the last one repeats, as ABC 2.1 says, from the
    last `:|`, `||` or `|]` (or the end of a second ending): that bar is rewritten to open the
    repeat (`:|` -> `::`, `||`/`|]`/`|` -> `|:`), so the importer both survives it and engraves
    and times the repeat the player plays (O'Neill's `A:| B:|`).
    """
    out: list[list[str]] = []
    music_lines: list[list[str]] = []
    in_body = False
    state = _RepeatState()
    for raw in text.splitlines(keepends=True):
        stripped = raw.strip()
        if not in_body:
            in_body = stripped.startswith("K:")
            out.append([raw])
            continue
        if not stripped or stripped.startswith("%") or _FIELD_LINE.match(stripped):
            out.append([raw])
            continue
        parts: list[str] = []
        out.append(parts)
        _safe_line(raw, state, parts, out)
        music_lines.append(parts)
    _split_double_repeats(music_lines)
    return "".join("".join(parts) for parts in out)


def _split_double_repeats(lines: list[list[str]]) -> None:
    """`::` as `:| |:`, or `:|` ending its line and `|:` opening the next music line.

    Verovio's importer (6.4) reads `::` as a plain bar and merges the measures around it (the
    repeat is neither engraved nor timed), and drops a line that ends with `:| |:`.
    """
    for number, parts in enumerate(lines):
        for index, part in enumerate(parts):
            if part != "::":
                continue
            rest = "".join(parts[index + 1 :]).split("%", 1)[0]
            if rest.strip() or number + 1 >= len(lines):
                parts[index] = ":| |:" if rest.strip() else ":|"
            else:
                parts[index] = ":|"
                lines[number + 1].insert(0, "|:")


class _RepeatState:
    """What `_safe_line` carries from one line to the next."""

    def __init__(self) -> None:
        self.ended = False  # a repeat has ended since the last repeat start
        self.boundary: tuple[list[str], int] | None = None  # the bar a new repeat starts at
        self.in_ending = False  # an ending mark was dropped; its section ends at the next bar

    def open_repeat(self) -> bool:
        """Make the last section boundary a repeat start; False when there is none."""
        if self.boundary is None:
            return False
        parts, index = self.boundary
        parts[index] = "::" if parts[index].startswith(":") else "|:"
        self.boundary = None
        return True

    def note_bar(self, parts: list[str], index: int) -> None:
        bar = parts[index]
        if bar.endswith(":"):
            self.boundary = None
        elif bar in (":|", "||", "|]") or self.in_ending:
            self.boundary = (parts, index)
        self.in_ending = False


def _safe_line(line: str, state: _RepeatState, parts: list[str], out: list[list[str]]) -> None:
    ended = state.ended
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
            if ch == '"':  # the importer reads '%' inside quotes as a comment: drop it
                token = token.replace("%", " ")
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
            state.in_ending = True
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
            state.note_bar(parts, last_bar)
            continue
        ended_before = ended
        token = match.group(0)
        if ended and token.startswith(":") and not token.endswith(":") and "|" in token:
            # A second repeat end: it repeats from the last section boundary (ABC 2.1).
            state.in_ending = False
            if state.open_repeat():
                ended = False
        bar, ended = _canonical_bar(token, ended)
        last_bar, music = len(parts), False
        parts.append(bar)
        state.note_bar(parts, last_bar)
    state.ended = ended


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
    """The text up to the end of the first tune, as the notation core splits a tune book (a
    tune ends at a blank line or the next X: field; text without X: is one tune).

    Line numbers are unchanged (only the tail is cut), so positions still match the editor.
    """
    from composeium_desktop.core.abcnotation.header import tunebook_spans

    spans = tunebook_spans(text)
    return text[: spans[0][1]] if spans else text
