"""Validation for the editor: every problem found in a tune book, as positioned ABCErrors.

Lexing restarts on the next line after an error, so one bad line does not hide the rest.  Bars
of the wrong length and unbalanced slurs are reported with ``severity="warning"``.
"""

from __future__ import annotations

import re

from composeium_desktop.core.abcnotation.bars import bar_errors
from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import (
    Tune,
    normalise_meter,
    parse_unit,
    split_tunebook,
)
from composeium_desktop.core.abcnotation.keys import parse_key
from composeium_desktop.core.abcnotation.lexer import (
    MISC,
    SLUR,
    SLUR_END,
    Token,
    check_structure,
    raw_tokens,
)

_FIELD_START = re.compile(r"[A-Za-z+]:")
_HEADER_CHECKS = {"K": parse_key, "M": normalise_meter, "L": parse_unit}


def _header_errors(tune: Tune, lines: list[str]) -> list[ABCError]:
    errors: list[ABCError] = []
    end = tune.body_line - 1  # index of the first body line
    start = end - 1
    while start > 0 and lines[start].strip() and not lines[start].startswith("X:"):
        start -= 1
    for index in range(max(start, 0), end):
        line = lines[index]
        if index > start and line.strip() and not _FIELD_START.match(line):
            if not line.lstrip().startswith("%"):
                message = "a text line inside the header (not a field): ignored"
                errors.append(ABCError(message, index + 1, 1, "warning"))
            continue
        if len(line) > 1 and line[1] == ":" and line[0] in _HEADER_CHECKS:
            try:
                _HEADER_CHECKS[line[0]](line[2:])
            except ABCError as exc:
                errors.append(ABCError(exc.message, index + 1, 3))
    if tune.field("K") is None:
        errors.append(
            ABCError(
                "the header has no K: field (key); C major assumed", max(start, 0) + 1, 1, "warning"
            )
        )
    return errors


def lex_lines(body: str, first_line: int = 1) -> tuple[list[Token], list[ABCError]]:
    """Tokens of the body, and one error for each line that does not lex.

    The body is lexed as a whole (a line may continue the one before it: a bar line, a
    hard-wrapped note or chord); after an error, lexing starts again on the next line.
    """
    lines = body.splitlines(keepends=True)
    tokens: list[Token] = []
    errors: list[ABCError] = []
    index = 0
    while index < len(lines):
        out: list[Token] = []
        line = first_line + index
        try:
            raw_tokens("".join(lines[index:]), line, 1, out)
            check_structure(out)
        except ABCError as exc:
            before = [tok for tok in out if tok.line < exc.line]
            try:  # the lines before the error may hold an error of their own (a chord left open)
                check_structure(before)
            except ABCError as earlier:
                if (earlier.line, earlier.column) != (exc.line, exc.column):
                    errors.append(earlier)
            errors.append(exc)
            tokens.extend(before)
            index = max(exc.line - first_line + 1, index + 1)
            continue
        tokens.extend(out)
        break
    return tokens, errors


_TOLERATED = {
    "!": "'!' read as a line break (ABC 2.0); ABC 2.1 writes !decorations! with it",
    "=": "'=' ending a long line read as a quoted-printable soft line break (ignored)",
    "=20": "'=20' read as quoted-printable residue (ignored)",
    "}": "stray '}' after a bar line ignored",
    "+": "lone '+' ignored",
}


def is_tolerance(tok: Token) -> bool:
    """Whether ``tok`` is something real tune books write that the lexer only reads past (a
    warning, never what our own output should contain)."""
    return tok.kind == MISC and tok.text in _TOLERATED


def _tolerance_warnings(tokens: list[Token]) -> list[ABCError]:
    """Warnings for what real tune books write and the lexer reads past (see the lexer)."""
    return [
        ABCError(_TOLERATED[tok.text], tok.line, tok.col, "warning")
        for tok in tokens
        if is_tolerance(tok)
    ]


def _slur_warnings(tokens: list[Token]) -> list[ABCError]:
    open_slurs: list[Token] = []
    warnings: list[ABCError] = []
    for tok in tokens:
        if tok.kind == SLUR:
            open_slurs.append(tok)
        elif tok.kind == SLUR_END:
            if open_slurs:
                open_slurs.pop()
            else:
                warnings.append(ABCError("')' closes no slur", tok.line, tok.col, "warning"))
    warnings.extend(ABCError("unclosed slur '('", t.line, t.col, "warning") for t in open_slurs)
    return warnings


def validate_tune(tune: Tune, lines: list[str] | None = None) -> list[ABCError]:
    """Problems of one tune, positioned in the file (``tune.body_line`` based)."""
    errors = _header_errors(tune, lines) if lines is not None else []
    tokens, lex_errors = lex_lines(tune.body, tune.body_line)
    errors.extend(lex_errors)
    errors.extend(_slur_warnings(tokens))
    errors.extend(_tolerance_warnings(tokens))
    if not lex_errors:
        try:
            bad = bar_errors(tune.body, tune.meter, tune.unit)
        except ABCError as exc:
            errors.append(exc.shifted(tune.body_line - 1))
        else:
            for bar in bad:
                message = (
                    f"bar {bar.index + 1} lasts {bar.length} of a whole note, "
                    f"the meter {tune.meter} needs {bar.expected}"
                )
                errors.append(ABCError(message, bar.line + tune.body_line - 1, bar.col, "warning"))
    return errors


def validate(abc_text: str) -> list[ABCError]:
    """Every problem found in ``abc_text`` (a tune or a tune book), sorted by position.

    Never raises; errors have ``severity == "error"``, doubtful music ``"warning"``.
    """
    text = abc_text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.splitlines()
    errors: list[ABCError] = []
    try:
        tunes = split_tunebook(text)
    except ABCError as exc:  # defensive: the splitter is tolerant
        return [exc]
    for tune in tunes:
        errors.extend(validate_tune(tune, lines))
    errors.sort(key=lambda e: (e.line, e.column))
    return errors
