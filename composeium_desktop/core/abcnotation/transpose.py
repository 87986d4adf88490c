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
from composeium_desktop.core.abcnotation.header import split_tunebook
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
    lines = text.splitlines(keepends=True)
    for tune in split_tunebook(text):
        start = tune.body_line - 1
        key_value = tune.field("K")
        header_start = start - 1
        while (
            header_start >= 0
            and not lines[header_start].startswith("X:")
            and lines[header_start].strip()
        ):
            header_start -= 1
        for i in range(max(header_start, 0), start):
            if lines[i].startswith("K:"):
                newline = "\n" if lines[i].endswith("\n") else ""
                lines[i] = f"K:{transposed_key(key_value or 'C', semitones)}{newline}"
        body_count = len(tune.body.splitlines(keepends=True))
        body = "".join(lines[start : start + body_count])
        new_body = transpose_body(body, semitones, key_value or "C")
        lines[start : start + body_count] = new_body.splitlines(keepends=True)
    return "".join(lines)
