"""The harmoniser measured on the chorded books: the held-out book (no constant was chosen on
it) against always-the-tonic, and the key and mode read back when K: names no mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.abcnotation.header import tunebook_spans
from composeium_desktop.core.abcnotation.keys import KeySpec, parse_key
from composeium_desktop.core.harmony import read_melody, score_book
from composeium_desktop.core.harmony.mode import read_mode

DATA = Path(__file__).parents[2] / "data" / "chorded"
BOOK = DATA / "folk_chorded.abc"
HELD_OUT = DATA / "folk_chorded_heldout.abc"

# A modal key and the plain major signature a tune book might write it under instead.
_PLAIN = {"Edor": "D", "Amix": "D", "Em": "G", "Dmix": "G", "Ador": "G", "Ddor": "C", "Am": "C"}


def _plain(text: str) -> str:
    return re.sub(r"^K:(\S+)$", lambda m: "K:" + _PLAIN.get(m[1], m[1]), text, flags=re.M)


def _keys(text: str) -> list[tuple[KeySpec, KeySpec]]:
    """(written key, key read from the melody) per tune."""
    out = []
    for start, end in tunebook_spans(text):
        tune = parse_tune(text[start:end])
        out.append((parse_key(tune.key), read_mode(read_melody(tune))))
    return out


@pytest.mark.parametrize("style", ["simple", "rich"])
def test_the_held_out_book_scores_well_above_always_the_tonic(style: str) -> None:
    # Measured 84.3% (simple) and 83.2% (rich) against 54.3% for the tonic; 79.1% and 78.2%
    # before the method changed. The threshold is the tonic plus ten points: a harmoniser
    # that lost its cadences, its mode or its emissions falls below it.
    score = score_book(HELD_OUT.read_text(), style)
    assert len(score.tunes) == 13 and not score.errors
    assert score.agreement >= score.tonic_agreement + 0.10


def test_held_out_modal_tunes_written_under_a_plain_signature_are_read_in_their_mode() -> None:
    text = HELD_OUT.read_text()
    written = [key for key, _ in _keys(text)]
    read = [key for _, key in _keys(_plain(text))]
    assert sum(k.mode != "major" for k in written) == 5
    assert [(k.tonic, k.mode) for k in read] == [(k.tonic, k.mode) for k in written]


def test_a_plain_signature_is_never_moved_to_a_wrong_tonic() -> None:
    # On the team's book some modal tunes end on quick notes and keep the plain key (the
    # reader only moves where a tune clearly rests elsewhere), but none moves to a wrong one.
    text = BOOK.read_text()
    for (true, _), (plain, read) in zip(_keys(text), _keys(_plain(text)), strict=True):
        assert read.tonic in (true.tonic, plain.tonic)
    moved = sum(r.tonic != p.tonic for p, r in _keys(_plain(text)))
    assert moved >= 3


def test_held_out_agreement_does_not_depend_on_the_mode_being_written() -> None:
    text = HELD_OUT.read_text()
    written = score_book(text, "simple").agreement
    plain = score_book(_plain(text), "simple").agreement
    assert plain == pytest.approx(written, abs=0.02)
