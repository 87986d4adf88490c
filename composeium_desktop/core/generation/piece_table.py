"""The body grammar of ``constraints.BodyState`` applied to a tokenizer's vocabulary, and the
ways a constrained tune is closed.

``PieceTable`` knows which pieces can ever appear and, through a trie of the pieces, which are
acceptable in a given state (the slow path of rejection sampling); ``rest_completion`` and
``complete_bar_line`` end a body that ran into the length limit or a dead end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from composeium_desktop.core.generation.bar_state import BAR_LINES, LENGTHS
from composeium_desktop.core.generation.constraints import ALLOWED_CHARS, BodyState


class PieceTable:
    """Static facts about the vocabulary's pieces, computed once per tokenizer.

    Pieces are also kept in a trie so that ``valid_mask`` feeds each shared prefix once and
    drops every piece below a rejected prefix.
    """

    def __init__(self, pieces: Sequence[str], special_ids: Sequence[int]) -> None:
        self.pieces = list(pieces)
        usable = np.ones(len(pieces), dtype=bool)
        for i, piece in enumerate(pieces):
            if not piece or any(ch not in ALLOWED_CHARS for ch in piece):
                usable[i] = False
        for i in special_ids:
            if 0 <= i < len(usable):
                usable[i] = False
        self.usable = usable
        self.usable_ids = np.flatnonzero(usable)
        # A node maps each next character to its child, and None to the ids ending there.
        self._trie: dict[str | None, Any] = {}
        for piece_id in self.usable_ids.tolist():
            node = self._trie
            for ch in self.pieces[piece_id]:
                node = node.setdefault(ch, {})
            node.setdefault(None, []).append(piece_id)

    def accepts(self, state: BodyState, token: int) -> BodyState | None:
        """The state after `token`, or None when the token makes the text invalid."""
        if not self.usable[token]:
            return None
        trial = state.clone()
        return trial if trial.feed(self.pieces[token]) else None

    def prefixes_of(self, text: str) -> list[int]:
        """The usable pieces that ``text`` starts with (its first character's piece first)."""
        ids: list[int] = []
        node = self._trie
        for ch in text:
            child = node.get(ch)
            if child is None:
                break
            ids.extend(child.get(None, ()))
            node = child
        return ids

    def valid_mask(self, state: BodyState) -> np.ndarray:
        """Which ids are acceptable now (the slow path: every usable piece is tried)."""
        mask = np.zeros(len(self.pieces), dtype=bool)
        stack = [(self._trie, state)]
        while stack:
            node, current = stack.pop()
            for ch, child in node.items():
                if ch is None:
                    continue
                trial = current.clone()
                if not trial.feed(ch):
                    continue
                ids = child.get(None)
                if ids:
                    mask[ids] = True
                if len(child) > (1 if ids else 0):
                    stack.append((child, trial))
        return mask


def rest_completion(state: BodyState) -> str | None:
    """Text that fills the current bar with a rest and ends the body ("z3|]"), or None when
    the bar cannot simply be closed here (an open chord, slur, tuplet ...)."""
    settled = state.settled()
    if settled is None or not settled.bar_has_notes:
        return None
    room = settled.bar_len - settled.pos
    text = ""
    if room:
        spellings = [k for k, v in LENGTHS.items() if v == room]
        if not spellings:
            return None
        text = " z" + min(spellings, key=len)
    for bar_line in ("|]", ":|"):
        trial = state.clone()
        if trial.feed(text + bar_line) and trial.can_end():
            return text + bar_line
    return None


def complete_bar_line(body: str) -> str:
    """A body ending right after a bar, made to end with "|]" or ":|"."""
    stripped = body.rstrip()
    for lexeme in sorted(BAR_LINES, key=len, reverse=True):
        if stripped.endswith(lexeme):
            if lexeme in ("|]", ":|"):
                return stripped
            if lexeme in (":|1", ":|2", "::", ":|:", ":||:", ":||"):
                return stripped[: -len(lexeme)] + ":|"
            return stripped[: -len(lexeme)] + "|]"
    return stripped + "|]"
