"""Training normalisation of tune bodies: one spelling for one piece of music.

Rules (applied by :func:`normalise_body`):

* dropped: comments and ``%%`` directives, information field lines inside the body (``w:``,
  ``W:``, ``N:``, ``P:`` ...), inline fields other than K/M/V, annotations (``"^text"``),
  spacers and layout marks (``y``, backquote, ``$``, ``!`` line breaks), line continuations
  (the continued lines are joined);
* decorations: every decoration is dropped except the roll ``~`` (common in the corpus and
  part of the tune's character; the rest are mostly performance marks and fingerings);
* kept: notes, rests, bar lines and repeats, endings, chords, grace notes, tuplets, broken
  rhythm, ties, slurs, chord symbols (``"Am"``), voice overlay ``&``, inline ``[K:]``/``[M:]``/
  ``[V:]`` fields (body lines ``K:``/``M:``/``V:`` become inline fields, values normalised);
* quoted text that is no chord symbol (``"4"``, ``"Segno"``, ``"tr"``: fingerings and
  performance words written without an annotation prefix) is dropped by
  :func:`drop_text_symbols`, which the corpus applies after transposing (see
  ``corpus.records`` for why that is a separate step);
* lengths: every note is rewritten for the unit length ``L:1/8`` (:data:`TRAIN_UNIT`) whatever
  the tune's L: (``L:1/16``: ``A2 -> A``, ``A -> A/``; ``L:1/4``: ``A -> A2``), inline ``[L:]``
  changes included, each written in its shortest form (``A/2 -> A/``, ``A1 -> A``); a chord
  whose notes have one length carries it on the chord (``[C2E2] -> [CE]2``);
* white space: runs collapse to one space, none at line ends or next to bar lines; lines are
  joined with one ``\\n``, no empty lines, no trailing newline.

The result lexes cleanly and every bar keeps its length in whole notes.
"""

from __future__ import annotations

import re
from fractions import Fraction

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import Tune, normalise_meter, parse_unit
from composeium_desktop.core.abcnotation.keys import normalise_key
from composeium_desktop.core.abcnotation.lexer import (
    ANNOT,
    BAR,
    BROKEN,
    CHORD,
    CHORD_END,
    COMMENT,
    CONT,
    DECO,
    ENDING,
    FIELD,
    FIELD_LINE,
    MISC,
    NEWLINE,
    NOTE,
    REST,
    SPACE,
    SYMBOL,
    TIE,
    Token,
    format_length,
    lex,
)

TRAIN_UNIT = "1/8"
_TRAIN_UNIT = Fraction(1, 8)
KEPT_FIELDS = frozenset("KMV")
KEPT_DECORATIONS = frozenset({"~"})
# A chord symbol: root, accidental, then quality and extensions, an optional bass ("F#m7b5/A").
_CHORD_SYMBOL_RE = re.compile(
    r"[A-G][#b]?(?:maj|min|dim|aug|sus|add|m|M|[0-9]|[#b+o()])*(?:/[A-G][#b]?)?"
)


def is_chord_symbol(text: str) -> bool:
    """Whether quoted text reads as a chord symbol ("Am7", "G/B", "F#dim") rather than words,
    fingerings or signs ("4", "Segno", "G.C.", "C MINOR")."""
    return _CHORD_SYMBOL_RE.fullmatch(text) is not None


def _field_text(letter: str, value: str) -> str:
    try:
        if letter == "K":
            value = normalise_key(value) if value.split() else value
        elif letter == "M":
            value = normalise_meter(value)
    except ABCError:
        pass
    return f"[{letter}:{value}]"


def _length(tok: Token) -> Fraction:
    """The length of a note, rest or chord end, which the lexer always gives one."""
    if tok.length is None:
        raise ValueError(f"{tok.kind} token without a length at {tok.line}:{tok.col}")
    return tok.length


def _rescale(tok: Token, scale: Fraction) -> str:
    """The note or rest with its length rewritten for the training unit."""
    # The head is rebuilt from the data: the text may be hard-wrapped or say "=3D" for "=".
    head = "".join(tok.data) if tok.kind == NOTE else tok.text[0]
    return head + format_length(_length(tok) * scale)


def _chord(inner: list[Token], end: Token, scale: Fraction) -> list[tuple[str, str]]:
    """A chord's pieces; equal note lengths move onto the chord: ``[C2E2]`` -> ``[CE]2``."""
    lengths = {_length(t) for t in inner if t.kind in (NOTE, REST)}
    pieces: list[tuple[str, str]] = [(CHORD, "[")]
    if len(lengths) == 1:
        common = lengths.pop()
        inner_scale = 1 / common
        multiplier = common * _length(end) * scale
    else:
        inner_scale, multiplier = scale, _length(end)
    for tok in inner:
        if tok.kind in (NOTE, REST):
            pieces.append((tok.kind, _rescale(tok, inner_scale)))
        elif tok.kind == SYMBOL or (tok.kind == DECO and tok.data in KEPT_DECORATIONS):
            pieces.append((tok.kind, tok.text))
        elif tok.kind == TIE:
            pieces.append((TIE, "-"))
    pieces.append((CHORD_END, "]" + format_length(multiplier)))
    return pieces


def _pieces(tokens: list[Token], unit: Fraction) -> list[list[tuple[str, str]]]:
    """Kept (kind, text) pieces per output line."""
    scale = unit / _TRAIN_UNIT
    lines: list[list[tuple[str, str]]] = [[]]
    joined = False
    chord: list[Token] | None = None
    for tok in tokens:
        kind = tok.kind
        cur = lines[-1]
        if chord is not None:
            if kind == CHORD_END:
                cur.extend(_chord(chord, tok, scale))
                chord = None
            else:
                chord.append(tok)
        elif kind in (NOTE, REST):
            cur.append((kind, _rescale(tok, scale)))
        elif kind == CHORD:
            chord = []
        elif kind == NEWLINE:
            if joined:
                cur.append((SPACE, " "))
            else:
                lines.append([])
            joined = False
        elif kind == CONT:
            joined = True
        elif kind in (FIELD, FIELD_LINE):
            letter, value = tok.data
            if letter == "L":
                try:
                    scale = parse_unit(value) / _TRAIN_UNIT
                except ABCError as exc:
                    raise ABCError(exc.message, tok.line, tok.col) from None
            elif letter in KEPT_FIELDS:
                cur.append((FIELD, _field_text(letter, value)))
        elif kind == DECO:
            if tok.data in KEPT_DECORATIONS:
                cur.append((DECO, tok.text))
        elif kind == MISC:
            if tok.text == "&":
                cur.append((MISC, "&"))
        elif kind == SPACE:
            cur.append((SPACE, " "))
        elif kind == BROKEN and cur and cur[-1][0] == BROKEN:
            cur.append((SPACE, " "))  # ">.>" loses its dot: keep two > apart, not ">>"
            cur.append((kind, tok.text))
        elif kind == BAR and tok.text == ":":
            cur.append((BAR, "|:"))  # a repeat sign continuing the last line's bar line
        elif kind == ENDING and not tok.text.startswith("["):
            cur.append((ENDING, "[" + tok.text))  # ending numbers that began a line
        elif kind not in (COMMENT, ANNOT):
            cur.append((kind, tok.text))
    return lines


def _line_text(pieces: list[tuple[str, str]]) -> str:
    out: list[str] = []
    prev_kind = BAR
    for i, (kind, text) in enumerate(pieces):
        if kind == SPACE:
            nxt = next((k for k, _ in pieces[i + 1 :] if k != SPACE), BAR)
            if prev_kind in (BAR, SPACE) or nxt == BAR:
                continue
        out.append(text)
        prev_kind = kind
    return "".join(out).strip()


def normalise_body(tune: Tune) -> str:
    """The tune's body normalised for training (see the module docstring for the rules).

    Raises :class:`ABCError` (positions in file lines) when the body does not lex.
    """
    tokens = lex(tune.body, tune.body_line)
    return _text(tokens, parse_unit(tune.unit))


def _text(tokens: list[Token], unit: Fraction) -> str:
    lines = (_line_text(p) for p in _pieces(tokens, unit))
    return "\n".join(line for line in lines if line)


def drop_text_symbols(body: str) -> str:
    """A normalised body without the quoted text that is no chord symbol, white space
    re-normalised by the rules above; bodies without such text come back unchanged."""
    if '"' not in body:
        return body
    tokens = [t for t in lex(body) if t.kind != SYMBOL or is_chord_symbol(t.data)]
    return _text(tokens, _TRAIN_UNIT)
