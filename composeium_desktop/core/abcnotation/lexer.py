"""The ABC body lexer: one compiled regular expression, tokens with line and column.

Token kinds (``Token.kind``) and their ``data``:

========== ===================================== ==========================================
kind       example text                          data
========== ===================================== ==========================================
note       ``^c'3/2``                            ``(accidental, letter, octave marks)``
rest       ``z2`` ``x/``                         ``"z"`` or ``"x"`` (x is invisible)
mrest      ``Z4`` ``X``                          number of bars (int)
bar        ``|`` ``:|2`` ``|]`` ``[|]`` ``::``    ``(bar line, ending)`` e.g. ``(":|", "2")``
ending     ``[1`` ``[2`` ``[1,3``                the ending numbers (str)
chord      ``[``                                  None (a chord opens)
chordend   ``]2``                                 None; ``length`` is the chord multiplier
grace      ``{`` ``{/``                           True for an acciaccatura ``{/``
graceend   ``}``                                  None
tuplet     ``(3`` ``(3:2:3``                     ``(p, q or None, r or None)``
slur       ``(`` / slurend ``)``                 None
tie        ``-``                                  None
broken     ``>`` ``<<``                           None
deco       ``!trill!`` ``+trill+`` ``~`` ``.``   the decoration name (``"trill"``, ``"~"``)
symbol     ``"Am7"``                              the chord symbol
annot      ``"^text"`` (also ``_ < > @``)        the annotation text (with its placement)
field      ``[K:G]``                              ``(letter, value)`` (an inline field)
fieldline  ``K:G`` ``w: words`` (own line)        ``(letter, value)``
comment    ``% ...`` ``%%directive``              None
cont       ``\\`` at the end of a line           None
space      spaces and tabs                        None
newline    ``\\n``                                None
misc       ``y`` ``y2`` ``\\``` ``$`` ``!`` ``&``   None (spacers, score line breaks, overlay)
========== ===================================== ==========================================

What real tune books contain beyond ABC 2.1 is read, not refused (:func:`validate` warns):

* ``!`` right after a bar line that starts no ``!decoration!`` (``|!fed c2B|``) is the ABC 2.0
  score line break: a ``misc`` token ``"!"``.
* ``=20`` at the end of a line, or ``=`` ending a long line, is quoted-printable residue of a file that went through
  e-mail (``... cBdc =20``): a ``misc`` token.
* ``=3D`` before a note is a quoted-printable ``=``; a stray ``}`` right after a bar line
  and a lone ``+`` between blanks are ignored, as abc2abc ignores them; ``*`` at the end of
  a line (O'Neill's) too.
* A hard-wrapped line (a file cut at a fixed width) may cut a note's length (``d`` newline
  ``/``) or a chord (``[A`` newline ``f]``, closed on that line): the token continues there.
* A line that starts with ``:`` or with ending numbers after a line that ended on a bar line
  (``|`` newline ``: a2 ag``, ``:|`` newline ``2 BGG``) continues that bar line: a ``bar``
  token ``":"`` (a repeat start) or an ``ending`` token.

``Token.length`` is the note/rest length multiplier (of the unit length L) as a Fraction, the
chord multiplier for ``chordend``, and None for other kinds.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, NamedTuple

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import normalise_meter, parse_unit
from composeium_desktop.core.abcnotation.keys import parse_key

NOTE = "note"
REST = "rest"
MREST = "mrest"
BAR = "bar"
ENDING = "ending"
CHORD = "chord"
CHORD_END = "chordend"
GRACE = "grace"
GRACE_END = "graceend"
TUPLET = "tuplet"
SLUR = "slur"
SLUR_END = "slurend"
TIE = "tie"
BROKEN = "broken"
DECO = "deco"
SYMBOL = "symbol"
ANNOT = "annot"
FIELD = "field"
FIELD_LINE = "fieldline"
COMMENT = "comment"
CONT = "cont"
SPACE = "space"
NEWLINE = "newline"
MISC = "misc"

# Kinds that carry no music: what normalisation may drop or rewrite freely.
LAYOUT_KINDS = frozenset({COMMENT, CONT, SPACE, NEWLINE, MISC})


class Token(NamedTuple):
    """One lexeme of an ABC body; ``line``/``col`` are 1-based."""

    kind: str
    text: str
    line: int
    col: int
    length: Fraction | None = None
    # Its shape depends on ``kind`` (a note's (accidental, letter, octave marks), a bar
    # line's symbol ...), so it is typed Any rather than a union every reader must narrow.
    data: Any = None


_LEN = r"((?:\d|/|\n(?=[\d/]))*)"  # a hard-wrapped line may cut a length
_PATTERNS = [
    ("newline", r"\n"),
    ("space", r"[ \t\r]+"),
    ("comment", r"%[^\n]*"),
    ("cont", r"\\[ \t]*(?=\n|%|$)"),
    ("fieldline", r"(?<![^\n])([A-Za-z+]):(?![|:])([^\n]*)"),
    ("field", r"\[([A-Za-z+]):([^\]\n]*)\]"),
    ("badfield", r"\[[A-Za-z+]:"),
    (
        "bar",
        r"(:*\[\|\]|:*\[\|:*|:*\|+\]|:*\.?\|+:*|:{2,}|:\](?!\d)|:(?=[\"\[]))(\[?\d+(?:[-,]\d+)*)?",
    ),
    ("ending", r"\[(\d+(?:[-,]\d+)*)"),
    ("chord", r"\["),
    ("chordend", r"\]" + _LEN),
    ("note", r"(\^\^|\^|__|_|=(?:3D)?)?([A-Ga-g])([',]*)" + _LEN),
    ("rest", r"([zx])" + _LEN),
    ("mrest", r"([ZX])(\d*)"),
    ("broken", r"<{1,3}|>{1,3}"),
    ("tuplet", r"\((\d+)(?::(\d*))?(?::(\d*))?"),
    ("slur", r"\.?\("),
    ("slurend", r"\)"),
    ("tie", r"\.?-"),
    ("grace", r"\{(/?)"),
    ("graceend", r"\}"),
    ("quoted", r'"([^"\n]*)"'),
    ("deco", r"!([^!\s|]+)!|\+([^+\s|]+)\+|([.~H-Wh-w])"),
    ("misc", r"y\d*|[`$&]|!(?=[\s|!])|\*+(?=[ \t]*\n)|\+(?=[ \t])"),
    ("qp", r"=20(?=\r?\n)|=(?=\r?\n[^A-Ga-g\n])"),
    ("lineending", r"(?<![^\n])\d+(?:[-,]\d+)*(?=[^\d,\-\n])"),
    ("error", r"."),
]
_MASTER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS), re.S)
_GI = _MASTER.groupindex
_ERROR_MESSAGES = {
    '"': 'unclosed quote: a chord symbol or annotation needs a closing "',
    "!": "unclosed decoration: !name! needs a closing !",
    "+": "unclosed decoration: +name+ needs a closing +",
    "^": "accidental without a note",
    "_": "accidental without a note",
    "=": "accidental without a note",
    ":": "stray ':' (not part of a bar line)",
    "\\": "a backslash must end a line (line continuation)",
    "]": "stray ']' (no chord is open)",
    "}": "stray '}' (no grace notes are open)",
}
_ANNOT_PREFIX = frozenset("^_<>@")
_CHORD_TAIL = re.compile(r"[^\[\]\n|\"]*\]")  # the next line closes a wrapped chord
_QP_WIDTH = 40  # a line cut by a quoted-printable soft break is longer than this
# Field values the lexer checks, since bars, keys and lengths depend on them.
_FIELD_CHECKS = {"K": parse_key, "M": normalise_meter, "L": parse_unit}
_LENGTHS: dict[str, Fraction] = {"": Fraction(1)}
_LENGTH_RE = re.compile(r"(\d*)(/*)(\d*)$")


def parse_length(text: str) -> Fraction:
    """Length multiplier of a note suffix: ``"" -> 1``, ``"/" -> 1/2``, ``"//" -> 1/4``, ``"3/" -> 3/2``.

    Raises ``ValueError`` for a zero or unreadable length (the lexer turns it into ABCError).
    """
    cached = _LENGTHS.get(text)
    if cached is not None:
        return cached
    match = _LENGTH_RE.match(text)
    if match is None:
        raise ValueError(f"bad length {text!r}")
    num_text, slashes, den_text = match.groups()
    num = int(num_text) if num_text else 1
    if den_text:
        if len(slashes) != 1:
            raise ValueError(f"bad length {text!r}")
        den = int(den_text)
    elif slashes:
        den = 2 ** len(slashes)
    else:
        den = 1
    if num == 0 or den == 0:
        raise ValueError(f"bad length {text!r}: a note cannot last zero or divide by zero")
    value = Fraction(num, den)
    if len(_LENGTHS) < 4096:
        _LENGTHS[text] = value
    return value


def format_length(value: Fraction) -> str:
    """Shortest usual ABC suffix for a multiplier: ``1 -> ""``, ``1/2 -> "/"``, ``3/2 -> "3/2"``."""
    if value.denominator == 1:
        return "" if value.numerator == 1 else str(value.numerator)
    num = "" if value.numerator == 1 else str(value.numerator)
    if value.denominator == 2:
        return num + "/"
    return f"{num}/{value.denominator}"


def _error_for(text: str, pos: int, end: int) -> str:
    char = text[pos]
    if char in _ERROR_MESSAGES:
        if char == "!" and "!" in text[pos + 1 : end]:
            return "bad decoration"
        return _ERROR_MESSAGES[char]
    if char == "[":
        return "bad inline field or chord"
    return f"unknown character {char!r}"


def raw_tokens(
    text: str, line: int = 1, col: int = 1, out: list[Token] | None = None
) -> list[Token]:
    """Tokens of ``text`` without checking chords/grace notes are closed (see :func:`lex`).

    ``line``/``col`` are the position of ``text[0]``.  Raises :class:`ABCError`; the tokens
    before the error are then in ``out`` when it is given (the list the tokens go into).
    """
    tokens: list[Token] = out if out is not None else []
    append = tokens.append
    line_start = -(col - 1)  # offset such that col = pos - line_start + 1
    gi = _GI
    for m in _MASTER.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative of _MASTER is a named group
        pos = m.start()
        c = pos - line_start + 1
        if kind == "note":
            i = gi["note"]
            try:
                length = parse_length(m.group(i + 4).replace("\n", ""))
            except ValueError as exc:
                raise ABCError(str(exc), line, c + m.start(i + 4) - pos) from None
            append(
                Token(
                    NOTE,
                    m.group(),
                    line,
                    c,
                    length,
                    ((m.group(i + 1) or "").replace("3D", ""), m.group(i + 2), m.group(i + 3)),
                )
            )
            if "\n" in m.group():
                line, line_start = _wrapped(m.group(), pos, line)
        elif kind == "space":
            append(Token(SPACE, m.group(), line, c))
        elif kind == "bar":
            i = gi["bar"]
            append(
                Token(
                    BAR,
                    m.group(),
                    line,
                    c,
                    None,
                    (m.group(i + 1), (m.group(i + 2) or "").lstrip("[")),
                )
            )
        elif kind == "newline":
            # A hard-wrapped line may break inside a chord: the line break is then a blank.
            wrapped = _chord_open(tokens) and _CHORD_TAIL.match(text, pos + 1) is not None
            append(Token(SPACE if wrapped else NEWLINE, "\n", line, c))
            line += 1
            line_start = pos + 1
        elif kind in ("rest", "chordend"):
            i = gi[kind]
            len_group = i + 2 if kind == "rest" else i + 1
            try:
                length = parse_length(m.group(len_group).replace("\n", ""))
            except ValueError as exc:
                raise ABCError(str(exc), line, c + m.start(len_group) - pos) from None
            data = m.group(i + 1) if kind == "rest" else None
            append(Token(REST if kind == "rest" else CHORD_END, m.group(), line, c, length, data))
            if "\n" in m.group():
                line, line_start = _wrapped(m.group(), pos, line)
        elif kind == "quoted":
            inner = m.group(gi["quoted"] + 1)
            if inner[:1] in _ANNOT_PREFIX:
                append(Token(ANNOT, m.group(), line, c, None, inner))
            else:
                append(Token(SYMBOL, m.group(), line, c, None, inner))
        elif kind == "deco":
            i = gi["deco"]
            name = m.group(i + 1) or m.group(i + 2) or m.group(i + 3)
            append(Token(DECO, m.group(), line, c, None, name))
        elif kind == "tuplet":
            i = gi["tuplet"]
            p = int(m.group(i + 1))
            q_text, r_text = m.group(i + 2), m.group(i + 3)
            q = int(q_text) if q_text else None
            r = int(r_text) if r_text else None
            if p < 2 or p > 9 or q == 0 or r == 0:
                raise ABCError(f"bad tuplet {m.group()!r}: (p:q:r needs 2 <= p <= 9", line, c)
            append(Token(TUPLET, m.group(), line, c, None, (p, q, r)))
        elif kind in ("field", "fieldline"):
            i = gi[kind]
            letter, value = m.group(i + 1), m.group(i + 2).strip()
            if letter in _FIELD_CHECKS:
                try:
                    _FIELD_CHECKS[letter](value)
                except ABCError as exc:
                    raise ABCError(exc.message, line, c) from None
            append(Token(kind, m.group(), line, c, None, (letter, value)))
        elif kind == "mrest":
            i = gi["mrest"]
            count = int(m.group(i + 2) or 1)
            if count == 0:
                raise ABCError("a multi-measure rest needs at least one bar", line, c)
            append(Token(MREST, m.group(), line, c, None, count))
        elif kind == "ending":
            append(Token(ENDING, m.group(), line, c, None, m.group(gi["ending"] + 1)))
        elif kind == "grace":
            append(Token(GRACE, m.group(), line, c, None, bool(m.group(gi["grace"] + 1))))
        elif kind == "graceend" and tokens and tokens[-1].kind == BAR:
            append(Token(MISC, "}", line, c))  # a stray '}' after a bar line (abc2abc ignores it)
        elif kind == "qp":
            append(Token(MISC, m.group(), line, c))
        elif kind == "lineending":
            if _last_kind(tokens) != BAR:
                raise ABCError(f"unknown character {m.group()[0]!r}", line, c)
            append(Token(ENDING, m.group(), line, c, None, m.group(gi["lineending"] + 1)))
        elif kind == "error" and _tolerated(text, pos, tokens):
            if text[pos] in "!=":
                append(Token(MISC, text[pos], line, c))
            else:
                append(Token(BAR, ":", line, c, None, (":", "")))
        elif kind == "badfield":
            raise ABCError("unclosed inline field: [X:... needs a closing ]", line, c)
        elif kind == "error":
            raise ABCError(_error_for(text, pos, len(text)), line, c)
        else:
            append(Token(kind, m.group(), line, c))
    return tokens


def _chord_open(tokens: list[Token]) -> bool:
    """Whether a chord is open at the end of ``tokens`` (on the current line)."""
    for tok in reversed(tokens):
        if tok.kind == CHORD:
            return True
        if tok.kind in (CHORD_END, NEWLINE, BAR):
            return False
    return False


def _wrapped(token: str, pos: int, line: int) -> tuple[int, int]:
    """``(line, line start)`` after a token that a hard-wrapped line cut (``d`` newline ``/``)."""
    return line + token.count("\n"), pos + token.rindex("\n") + 1


def _last_kind(tokens: list[Token]) -> str | None:
    """Kind of the last token that is no space, newline, comment, continuation or field line."""
    for tok in reversed(tokens):
        if tok.kind not in (SPACE, NEWLINE, COMMENT, CONT, FIELD_LINE):
            return tok.kind
    return None


def _tolerated(text: str, pos: int, tokens: list[Token]) -> bool:
    """Whether an unreadable ``=``, ``!`` or ``:`` at ``pos`` is what real tune books write.

    ``=`` ending a long line is a quoted-printable soft break; ``!`` right after a bar line is
    the ABC 2.0 line break; ``:`` at the start of a line (and followed by music, so a decoder's
    text cut after it still waits) after a line that ended on a bar line is that bar's repeat
    sign.
    """
    char = text[pos]
    if char == "=":  # a quoted-printable soft line break ends a long line (RFC 2045: 76 chars)
        return text[pos + 1 : pos + 2] == "\n" and pos - text.rfind("\n", 0, pos) > _QP_WIDTH
    if char == "!":
        return bool(tokens) and tokens[-1].kind in (BAR, SPACE) and _last_kind(tokens) == BAR
    if char != ":" or pos + 1 >= len(text) or text[pos + 1] in ":|]\n":
        return False
    if not tokens or tokens[-1].kind != NEWLINE:
        return False
    return _last_kind(tokens) == BAR


def check_structure(tokens: list[Token], *, at_end: bool = True) -> None:
    """Raise :class:`ABCError` for chords/grace groups that nest, close without opening, or stay open."""
    chord: Token | None = None
    grace: Token | None = None
    chord_notes = 0
    previous: Token | None = None
    for previous, tok in zip([None, *tokens], tokens, strict=False):
        kind = tok.kind
        if kind == CHORD:
            if chord is not None:
                raise ABCError("a chord cannot contain another chord", tok.line, tok.col)
            chord, chord_notes = tok, 0
        elif kind == CHORD_END:
            if chord is None:
                raise ABCError(_ERROR_MESSAGES["]"], tok.line, tok.col)
            if not chord_notes:
                raise ABCError("empty chord: a chord needs a note", chord.line, chord.col)
            chord = None
        elif kind == BROKEN and previous is not None and previous.kind == BROKEN:
            raise ABCError("bad broken rhythm: at most three > or <", tok.line, tok.col)
        elif kind == GRACE:
            if grace is not None:
                raise ABCError("grace notes cannot nest", tok.line, tok.col)
            grace = tok
        elif kind == GRACE_END:
            if grace is None:
                raise ABCError(_ERROR_MESSAGES["}"], tok.line, tok.col)
            grace = None
        elif chord is not None and kind in (NOTE, REST):
            chord_notes += 1
        elif chord is not None and kind not in _IN_CHORD:
            raise ABCError("unclosed chord: [ needs a closing ]", chord.line, chord.col)
        elif grace is not None and kind not in _IN_GRACE:
            raise ABCError("unclosed grace notes: { needs a closing }", grace.line, grace.col)
    if at_end and chord is not None:
        raise ABCError("unclosed chord: [ needs a closing ]", chord.line, chord.col)
    if at_end and grace is not None:
        raise ABCError("unclosed grace notes: { needs a closing }", grace.line, grace.col)
    if at_end:
        last = next((t for t in reversed(tokens) if t.kind not in LAYOUT_KINDS), None)
        if last is not None and last.kind in (SLUR, TUPLET):
            raise ABCError(
                f"{last.text!r} at the end: a slur or tuplet needs notes", last.line, last.col
            )


_IN_CHORD = frozenset({NOTE, REST, TIE, DECO, SYMBOL, ANNOT, SPACE, SLUR, SLUR_END})
_IN_GRACE = frozenset({NOTE, TIE, SPACE, CHORD, CHORD_END, BROKEN, TUPLET, DECO})


def lex(body: str, first_line: int = 1) -> list[Token]:
    """Tokens of an ABC body; raises :class:`ABCError` (with line and column) on malformed text.

    ``first_line`` is the line number of the body's first line (1 by default; pass
    ``Tune.body_line`` for positions in the whole file).
    """
    tokens = raw_tokens(body, first_line, 1)
    check_structure(tokens)
    return tokens
