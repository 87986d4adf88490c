"""Transposition by semitones: K: fields, notes (respelled in the new key) and chord symbols.

Spelling: every note moves by the same number of letter steps as the key's tonic (G -> A moves
every letter up one step), so a tune keeps its scale degrees; the accidental is whatever makes
the sounding pitch right (a pitch that would need a double accidental goes to the neighbouring
letter instead: A, not B double-flat).  Accidentals follow ABC 2.1: an explicit accidental
holds for notes of the same letter and octave until the bar line.  A note written with an
explicit accidental in the source keeps one (courtesy accidentals survive, unless
``courtesy=False``); other notes get one only when the new key signature and the bar's
accidentals would not give the right pitch.
"""

from __future__ import annotations

import re

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import Tune, split_tunebook
from composeium_desktop.core.abcnotation.keys import (
    LETTERS,
    NATURAL_PC,
    KeySpec,
    conventional_tonic,
    key_name,
    key_signature,
    parse_key,
    tonic_pc,
    transpose_key,
)
from composeium_desktop.core.abcnotation.lexer import (
    BAR,
    FIELD,
    FIELD_LINE,
    NOTE,
    SYMBOL,
    Token,
    lex,
)

ACCIDENTAL_VALUE = {"": None, "^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
ACCIDENTAL_TEXT = {2: "^^", 1: "^", 0: "=", -1: "_", -2: "__"}
_SYMBOL_RE = re.compile(r"([A-G])([#b]?)([^/]*)(?:/([A-G])([#b]?)(.*))?$", re.S)
_EXPLICIT_RE = re.compile(r"(?<!\S)(\^\^|\^|__|_|=)([A-Ga-g])(?!\S)")


def note_midi(letter: str, octave_marks: str, accidental: int) -> int:
    """MIDI number of an ABC note (``C`` is 60, ``c`` 72) with the given accidental."""
    octave = (5 if letter.islower() else 4) + octave_marks.count("'") - octave_marks.count(",")
    return 12 * (octave + 1) + NATURAL_PC[letter.upper()] + accidental


def _letter_steps(src: KeySpec, dst: KeySpec, semitones: int) -> int:
    """Signed number of letter steps that moves the tonic of ``src`` onto that of ``dst``."""
    shift = (LETTERS.index(dst.tonic[0]) - LETTERS.index(src.tonic[0])) % 7
    candidates = (shift - 14, shift - 7, shift, shift + 7, shift + 14)
    return min(candidates, key=lambda s: abs(s * 12 / 7 - semitones))


def _spell(diatonic: int, target: int) -> tuple[int, int]:
    """(diatonic number, accidental) for MIDI ``target`` near letter ``diatonic`` (7 per octave)."""
    for delta in (0, -1, 1):  # a neighbour letter rather than a double accidental
        dia = diatonic + delta
        natural = 12 * (dia // 7 + 1) + NATURAL_PC[LETTERS[dia % 7]]
        acc = target - natural
        if abs(acc) <= 1:
            return dia, acc
    return diatonic, target - 12 * (diatonic // 7 + 1) - NATURAL_PC[LETTERS[diatonic % 7]]


def _note_text(dia: int, accidental: str, rest: str) -> str:
    octave, letter = divmod(dia, 7)
    name = LETTERS[letter]
    if octave >= 5:
        return accidental + name.lower() + "'" * (octave - 5) + rest
    return accidental + name + "," * (4 - octave) + rest


def _transpose_root(letter: str, acc: str, steps: int, semitones: int) -> str:
    pc = (NATURAL_PC[letter] + {"#": 1, "b": -1, "": 0}[acc] + semitones) % 12
    new_letter = LETTERS[(LETTERS.index(letter) + steps) % 7]
    diff = (pc - NATURAL_PC[new_letter]) % 12
    diff = diff - 12 if diff > 6 else diff
    if diff in (-1, 0, 1):
        return new_letter + {-1: "b", 0: "", 1: "#"}[diff]
    return conventional_tonic(pc, "major")


def transpose_symbol(symbol: str, semitones: int, steps: int) -> str:
    """Transpose a chord symbol such as ``"Am7/G"``; text that is no chord is left alone."""
    match = _SYMBOL_RE.match(symbol)
    if match is None:
        return symbol
    root, acc, quality, bass, bass_acc, tail = match.groups()
    out = _transpose_root(root, acc, steps, semitones) + quality
    if bass is not None:
        out += "/" + _transpose_root(bass, bass_acc, steps, semitones) + tail
    return out


def _key_text(spec: KeySpec) -> str:
    name = "none" if spec.none else key_name(spec.tonic, spec.mode)
    extra = _EXPLICIT_RE.sub("", spec.extra).strip()
    if extra.lower().startswith("exp"):  # the notes carry the explicit accidentals now
        extra = extra[3:].strip()
    return f"{name} {extra}" if extra else name


class _Transposer:
    """Walks tokens, tracking source and target key signatures and bar accidentals."""

    def __init__(self, semitones: int, src: KeySpec, dst: KeySpec, courtesy: bool = True) -> None:
        self.semitones = semitones
        self.courtesy = courtesy
        self._set_keys(src, dst)
        self.src_bar: dict[tuple[str, int], int] = {}
        self.dst_bar: dict[tuple[str, int], int] = {}

    def _set_keys(self, src: KeySpec, dst: KeySpec) -> None:
        self.src_sig = key_signature(src)
        self.dst_sig = key_signature(dst)
        self.dst_sig_plain = key_signature(KeySpec(dst.tonic, dst.mode, dst.none))
        if src.none or dst.none:  # no key to move: spell as C major moves
            c_major = KeySpec("C", "major")
            self.steps = _letter_steps(
                c_major, transpose_key(c_major, self.semitones), self.semitones
            )
        else:
            self.steps = _letter_steps(src, dst, self.semitones)

    def note(self, tok: Token) -> str:
        acc_text, letter, marks = tok.data  # type: ignore[misc]
        base = letter.upper()
        octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
        explicit = ACCIDENTAL_VALUE[acc_text]
        if explicit is not None:
            self.src_bar[(base, octave)] = explicit
            acc = explicit
        else:
            acc = self.src_bar.get((base, octave), self.src_sig[base])
        target = 12 * (octave + 1) + NATURAL_PC[base] + acc + self.semitones
        dia, new_acc = _spell(octave * 7 + LETTERS.index(base) + self.steps, target)
        new_base, new_octave = LETTERS[dia % 7], dia // 7
        implied = self.dst_bar.get((new_base, new_octave), self.dst_sig_plain[new_base])
        written = ""
        if (explicit is not None and self.courtesy) or new_acc != implied:
            written = ACCIDENTAL_TEXT[new_acc]
            self.dst_bar[(new_base, new_octave)] = new_acc
        rest = tok.text[len(acc_text) + 1 + len(marks) :]
        return _note_text(dia, written, rest)

    def key_change(self, value: str) -> str:
        src = parse_key(value)
        dst = transpose_key(src, self.semitones)
        self._set_keys(src, dst)
        return _key_text(dst)

    def run(self, tokens: list[Token]) -> str:
        out: list[str] = []
        for tok in tokens:
            kind = tok.kind
            if kind == NOTE:
                out.append(self.note(tok))
            elif kind == BAR:
                self.src_bar.clear()
                self.dst_bar.clear()
                out.append(tok.text)
            elif kind == SYMBOL:
                out.append('"' + transpose_symbol(tok.data, self.semitones, self.steps) + '"')  # type: ignore[arg-type]
            elif kind in (FIELD, FIELD_LINE) and tok.data[0] == "K":  # type: ignore[index]
                new = self.key_change(tok.data[1])  # type: ignore[index]
                out.append(f"[K:{new}]" if kind == FIELD else f"K:{new}")
            else:
                out.append(tok.text)
        return "".join(out)


def transpose_body(
    body: str,
    semitones: int,
    from_key: str,
    to_key: str | None = None,
    *,
    courtesy: bool = True,
) -> str:
    """Transpose an ABC body by ``semitones``; notes are respelled for the target key.

    ``from_key`` is the tune's K: value.  ``to_key`` forces the spelling of the target key (it
    must lie ``semitones`` away, e.g. ``transpose_body(b, -2, "D", "C")``); by default the
    conventional spelling is chosen (fewest accidentals; flats on a tie).  Inline and body-line
    K: changes are transposed too.  With ``courtesy=False`` accidentals the new key signature
    and the bar already imply are left out (``transpose_body("^F", 0, "G", courtesy=False)``
    gives ``"F"``).  Raises :class:`ABCError` for a body the lexer rejects.
    """
    src = parse_key(from_key)
    if to_key is None:
        dst = transpose_key(src, semitones)
    else:
        dst = parse_key(to_key)
        if not src.none and (tonic_pc(src.tonic) + semitones - tonic_pc(dst.tonic)) % 12:
            raise ABCError(f"{to_key!r} is not {semitones} semitones from {from_key!r}")
    return _Transposer(semitones, src, dst, courtesy).run(lex(body))


def transposed_key(key: str, semitones: int) -> str:
    """The K: value ``semitones`` away from ``key``, conventionally spelled (``"G", 2 -> "A"``)."""
    return _key_text(transpose_key(parse_key(key), semitones))


def transpose_tune(abc_text: str, semitones: int) -> str:
    """Transpose every tune in ``abc_text``: the header K: line and the body.

    Everything else in the text (other header fields, text between tunes) is kept as it is.
    """
    if semitones == 0:
        return abc_text
    text = abc_text.replace("\r\n", "\n").replace("\r", "\n")
    tunes = split_tunebook(text)
    return _transpose_tunes(text, tunes, [semitones] * len(tunes), [None] * len(tunes))


# Keys that sit well on fiddle, whistle, flute, mandolin and pipes, commonest first, per mode.
INSTRUMENT_TONICS: dict[str, tuple[str, ...]] = {
    "major": ("D", "G", "A", "C", "F", "E", "Bb"),
    "minor": ("E", "A", "B", "D", "G"),
    "dorian": ("A", "E", "D", "B", "G"),
    "mixolydian": ("A", "D", "G", "E"),
}
INTERVALS: tuple[tuple[str, int], ...] = (
    ("minor second", 1),
    ("major second", 2),
    ("minor third", 3),
    ("major third", 4),
    ("perfect fourth", 5),
    ("tritone", 6),
    ("perfect fifth", 7),
    ("minor sixth", 8),
    ("major sixth", 9),
    ("minor seventh", 10),
    ("major seventh", 11),
    ("octave", 12),
)
DIRECTIONS = ("nearest", "up", "down")


def instrument_keys(mode: str) -> tuple[str, ...]:
    """The instrument-friendly keys in ``mode`` as K: values (``"minor" -> ("Em", "Am", ...)``)."""
    return tuple(key_name(t, mode) for t in INSTRUMENT_TONICS.get(mode, INSTRUMENT_TONICS["major"]))


def semitones_to_key(from_key: str, to_tonic: str, direction: str = "nearest") -> int:
    """Semitones that move the tonic of ``from_key`` onto ``to_tonic``.

    ``direction``: ``"nearest"`` (-5 ... +6), ``"up"`` (0 ... 11) or ``"down"`` (-11 ... 0).
    A ``K:none`` tune counts as C.  Raises :class:`ABCError` for an unreadable key or tonic.
    """
    if direction not in DIRECTIONS:
        raise ABCError(f"unknown direction {direction!r}; use one of {', '.join(DIRECTIONS)}")
    src = parse_key(from_key)
    dst = parse_key(to_tonic)
    up = (tonic_pc(dst.tonic) - tonic_pc(src.tonic)) % 12
    if direction == "up":
        return up
    if direction == "down":
        return up - 12 if up else 0
    return up - 12 if up > 6 else up


def _retonic_key(value: str, tonic: str) -> str:
    """The K: value ``value`` with its tonic replaced by ``tonic`` (mode and clauses kept)."""
    spec = parse_key(value)
    if spec.none:
        return _key_text(spec)
    return _key_text(KeySpec(parse_key(tonic).tonic, spec.mode, False, spec.extra))


def transpose_tune_to(abc_text: str, tonic: str, direction: str = "nearest") -> tuple[str, int]:
    """Transpose every tune of ``abc_text`` so that its key's tonic is ``tonic``, spelled so.

    Each tune keeps its mode (an E minor tune taken to ``"A"`` is in A minor); ``K:none``
    tunes move as if in C.  Returns the text and the semitones the first tune moved.
    """
    text = abc_text.replace("\r\n", "\n").replace("\r", "\n")
    tunes = split_tunebook(text)
    moved = [semitones_to_key(t.raw_key, tonic, direction) for t in tunes]
    keys: list[str | None] = [_retonic_key(t.raw_key, tonic) for t in tunes]
    return _transpose_tunes(text, tunes, moved, keys), (moved[0] if moved else 0)


def _header_start(lines: list[str], body_index: int) -> int:
    index = body_index - 1
    while index >= 0 and not lines[index].startswith("X:") and lines[index].strip():
        index -= 1
    return max(index, 0)


def _transpose_tunes(
    text: str, tunes: list[Tune], shifts: list[int], keys: list[str | None]
) -> str:
    lines = text.splitlines(keepends=True)
    for tune, semitones, forced in zip(tunes, shifts, keys, strict=True):
        if semitones == 0 and forced is None:
            continue
        start = tune.body_line - 1
        key_value = tune.field("K") or "C"
        new_key = forced or transposed_key(key_value, semitones)
        for i in range(_header_start(lines, start), start):
            if lines[i].startswith("K:"):
                newline = "\n" if lines[i].endswith("\n") else ""
                lines[i] = f"K:{new_key}{newline}"
        body_count = len(tune.body.splitlines(keepends=True))
        body = "".join(lines[start : start + body_count])
        new_body = transpose_body(body, semitones, key_value, forced)
        lines[start : start + body_count] = new_body.splitlines(keepends=True)
    return "".join(lines)


class _PassageTransposer(_Transposer):
    """Transposes the notes and chord symbols of a passage; the key signature stays.

    Notes after the passage, up to the next bar line, get an accidental where one written in
    the passage would otherwise change their pitch.
    """

    def __init__(self, semitones: int, key: KeySpec) -> None:
        super().__init__(semitones, key, key)
        self._set_keys(key, key)

    def _set_keys(self, src: KeySpec, dst: KeySpec) -> None:
        super()._set_keys(src, transpose_key(src, self.semitones))
        self.dst_sig = self.dst_sig_plain = self.src_sig

    def key_change(self, value: str) -> str:
        self._set_keys(parse_key(value), parse_key(value))
        return value

    def _keep_pitch(self, tok: Token) -> str:
        """A note outside the passage, rewritten only if the passage changed its pitch."""
        acc_text, letter, marks = tok.data  # type: ignore[misc]
        base = letter.upper()
        octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
        explicit = ACCIDENTAL_VALUE[acc_text]
        if explicit is not None:
            self.src_bar[(base, octave)] = explicit
            self.dst_bar[(base, octave)] = explicit
            return tok.text
        acc = self.src_bar.get((base, octave), self.src_sig[base])
        if self.dst_bar.get((base, octave), self.dst_sig[base]) == acc:
            return tok.text
        self.dst_bar[(base, octave)] = acc
        return ACCIDENTAL_TEXT[acc] + tok.text

    def run_passage(self, tokens: list[Token], start: int, end: int) -> str:
        out: list[str] = []
        offset = 0
        touched = False  # inside the passage's last bar, after the passage
        for tok in tokens:
            inside = start <= offset < end
            offset += len(tok.text)
            kind = tok.kind
            if kind == BAR:
                self.src_bar.clear()
                self.dst_bar.clear()
                touched = False
                out.append(tok.text)
            elif kind in (FIELD, FIELD_LINE) and tok.data[0] == "K":  # type: ignore[index]
                self.key_change(tok.data[1])  # type: ignore[index]
                out.append(tok.text)
            elif inside and kind == NOTE:
                out.append(self.note(tok))
                touched = True
            elif inside and kind == SYMBOL:
                out.append('"' + transpose_symbol(tok.data, self.semitones, self.steps) + '"')  # type: ignore[arg-type]
            elif kind == NOTE:
                out.append(self._keep_pitch(tok) if touched else self.note_unchanged(tok))
            else:
                out.append(tok.text)
        return "".join(out)

    def note_unchanged(self, tok: Token) -> str:
        acc_text, letter, marks = tok.data  # type: ignore[misc]
        explicit = ACCIDENTAL_VALUE[acc_text]
        if explicit is not None:
            octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
            self.src_bar[(letter.upper(), octave)] = explicit
            self.dst_bar[(letter.upper(), octave)] = explicit
        return tok.text


def transpose_passage(abc_text: str, start: int, end: int, semitones: int) -> str:
    """Transpose the notes and chord symbols between character offsets ``start`` and ``end``.

    The key signature stays; the passage's notes are spelled as the interval moves the key
    (in G, up a tone, B becomes c#), and a note after the passage in the same bar gets the
    accidental it needs to keep its pitch.  Offsets count characters of ``abc_text`` with
    ``\\n`` line ends (as an editor holds it); header lines in the range are left alone.
    """
    text = abc_text.replace("\r\n", "\n").replace("\r", "\n")
    if semitones == 0 or end <= start:
        return text
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    pieces: list[str] = []
    done = 0
    for tune in split_tunebook(text):
        body_start = line_starts[min(tune.body_line - 1, len(line_starts) - 1)]
        body_end = body_start + len(tune.body)
        if body_end <= start or body_start >= end or not tune.body:
            continue
        transposer = _PassageTransposer(semitones, parse_key(tune.raw_key))
        tokens = lex(tune.body, tune.body_line)
        new_body = transposer.run_passage(tokens, start - body_start, end - body_start)
        pieces.append(text[done:body_start])
        pieces.append(new_body)
        done = body_end
    pieces.append(text[done:])
    return "".join(pieces)
