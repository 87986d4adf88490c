"""Syntax hazards: the pieces that would make a body's text unreadable if written next.

The model alone (no grammar constraints) sometimes writes a piece that no continuation can make
valid ABC: a length after a length (``d/`` then ``3/d/``), a ``}`` with no grace group open, an
octave mark after a length, a space after an accidental. Training can penalise the probability
the model gives such pieces (an unlikelihood term, ``MaskedCrossEntropy(hazard_weight=...)``);
this module says which pieces they are at each position of a training tune, using the notation
core's own lexer as the judge.

Which pieces may follow depends only on the end of the text: the last two lexer tokens (a note
whose length may still grow, a bar line, a broken-rhythm sign ...) and any chord or grace group
still open or just closed. ``context_tail`` cuts that end out, with every note letter written as ``A`` (the
lexer treats all note letters alike), so the verdicts are cached per tail and per piece shape.

A piece is a hazard after a tail when the tail itself can still become valid text and the tail,
the piece and each of a few short continuations (nothing, a note, a closing quote, a bar line,
a closing ``!`` or ``+``, the end of an inline field) all fail the lexer: a piece that only
opens something ("^", a quote) is not a hazard, since the next piece may complete it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

import numpy as np

from composeium_desktop.core.abcnotation import ABCError
from composeium_desktop.core.abcnotation.lexer import (
    CHORD,
    CHORD_END,
    GRACE,
    GRACE_END,
    Token,
    check_structure,
    raw_tokens,
)
from composeium_desktop.core.abcnotation.validate import is_tolerance

CONTINUATIONS = ("", "A", '"', "|", "!", "+", "A]", "2/4]")
"""What may follow a piece that is not yet complete text (see the module docstring)."""
_NOTE_LETTER = re.compile(r"[A-Ga-g]")
_OPEN_FIELD = re.compile(r"\[[A-Za-z]:[^\]]*$")  # an inline field ("[K:G]") not yet closed


def reads(text: str) -> bool:
    """Whether the lexer reads ``text`` as the start of a body (groups may still be open).

    What the lexer only tolerates in real tune books (a stray ``}`` after a bar line, ABC 2.0's
    ``!`` line break ...) does not count as readable: the model should not learn to write it."""
    try:
        tokens = raw_tokens(text)
        check_structure(tokens, at_end=False)
    except ABCError:
        return False
    return not any(is_tolerance(tok) for tok in tokens)


def context_tail(text: str) -> str:
    """The end of a body's text that decides which pieces may follow it: from the start of its
    second-to-last lexer token (from its last, or after it, when the text from there cannot be
    read on its own, as after ``}``), of a chord or grace group still open, or of one the last
    two tokens close (``[ce]`` may still take a length), to the end (including text the lexer
    cannot finish reading yet, such as an accidental); note letters as ``A``."""
    start = max(text.rfind("|"), text.rfind("\n") + 1, 0)
    segment = _NOTE_LETTER.sub("A", text[start:])
    tokens: list[Token] = []
    with contextlib.suppress(ABCError):  # the tokens before an unfinished end are kept
        raw_tokens(segment, out=tokens)
    starts = [t.col - 1 for t in tokens]
    opened = None  # where a chord or grace group still open starts
    group_of: dict[int, int] = {}  # closing token's index -> where its group starts
    for index, (token, at) in enumerate(zip(tokens, starts, strict=True)):
        if token.kind in (CHORD, GRACE):
            opened = at
        elif token.kind in (CHORD_END, GRACE_END) and opened is not None:
            group_of[index], opened = opened, None
    if opened is not None:
        return segment[opened:]
    after = starts[-1] + len(tokens[-1].text) if tokens else 0
    # A group closed by one of the last two tokens goes whole: "[ce]" may take a length.
    closed = [group_of[i] for i in range(len(tokens) - 2, len(tokens)) if i in group_of]
    for cut in [*closed[:1], *starts[-2:], after]:
        if _completes(segment[cut:]):
            return segment[cut:]
    return segment[after:]


def _completes(text: str) -> bool:
    """Whether some continuation makes ``text`` readable (it may be unfinished)."""
    return any(reads(text + more) for more in CONTINUATIONS)


def is_hazard(tail: str, piece: str) -> bool:
    """Whether ``piece`` written after ``tail`` leaves text no continuation can make valid."""
    return bool(piece) and not _completes(tail + piece)


class HazardTable:
    """The hazard pieces of a vocabulary at each position of a text, as rows of a table.

    ``rows[r]`` holds the ids of the pieces forbidden by row ``r``; row 0 forbids nothing (used
    where the text so far is already unreadable, inside an inline field, and for the end
    token). Verdicts are cached per context tail, so building the rows of a whole corpus
    takes seconds per thousand tunes."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = list(pieces)
        shapes: dict[str, list[int]] = {}
        for index, piece in enumerate(self.pieces):
            if piece:
                shapes.setdefault(_NOTE_LETTER.sub("A", piece), []).append(index)
        self._shapes = shapes
        self.rows: list[tuple[int, ...]] = [()]
        self._row_of: dict[tuple[int, ...], int] = {(): 0}
        self._tail_row: dict[str, int] = {}

    def row(self, text: str) -> int:
        """The row of the pieces that are hazards after ``text`` (a body so far)."""
        tail = context_tail(text)
        found = self._tail_row.get(tail)
        if found is not None:
            return found
        forbidden: tuple[int, ...] = ()
        # Inside an inline field the lexer checks the value ("[M:6/8]"), which the note-letter
        # shapes do not keep: no verdict there.
        if _completes(tail) and not _OPEN_FIELD.search(tail):
            forbidden = tuple(
                sorted(
                    index
                    for shape, ids in self._shapes.items()
                    if is_hazard(tail, shape)
                    for index in ids
                )
            )
        row = self._row_of.get(forbidden)
        if row is None:
            row = self._row_of[forbidden] = len(self.rows)
            self.rows.append(forbidden)
        self._tail_row[tail] = row
        return row

    def codes(self, ids: Sequence[int], end: bool = True) -> np.ndarray:
        """int32 row of each target of a tune written as ``ids``: the row after the text before
        each piece, then (with ``end``) row 0 for the end token. A piece that is itself a
        hazard in its place (the lexer would reject the tune) gets row 0, and so does every
        position after it."""
        out = np.zeros(len(ids) + (1 if end else 0), np.int32)
        text = ""
        for position, index in enumerate(ids):
            row = self.row(text)
            if index in self.rows[row]:
                break
            out[position] = row
            text += self.pieces[index]
        return out

    def matrix(self, vocab_size: int) -> np.ndarray:
        """float32 [rows, vocab_size]: 1 where a row forbids a piece."""
        return hazard_matrix(self.rows, vocab_size)


def hazard_matrix(rows: Sequence[Sequence[int]], vocab_size: int) -> np.ndarray:
    """float32 [len(rows), vocab_size]: 1 where a row (of piece ids) forbids a piece."""
    table = np.zeros((len(rows), vocab_size), np.float32)
    for r, ids in enumerate(rows):
        table[r, list(ids)] = 1.0
    return table
