"""Chords for a melody (the harmoniser), chord symbols in text, and the backing band's notes.

* :func:`harmonise_melody` (Viterbi over a chord lattice; see
  :mod:`~composeium_desktop.core.harmony.harmoniser`), reading the tune through the notation
  core (:func:`read_melody`).
* Text: :func:`harmonise_tune_text`, :func:`harmonise_book`, :func:`set_aside_chords`
  (:class:`ChordsAside` restores them), :func:`strip_chords`, :func:`score_book`.
"""

from composeium_desktop.core.harmony.chords import Chord, chord_name, chord_root_pc, vocabulary
from composeium_desktop.core.harmony.harmoniser import ChordChoice, harmonise_melody, slot_grid
from composeium_desktop.core.harmony.reading import Melody, read_body, read_melody
from composeium_desktop.core.harmony.text import (
    ChordsAside,
    harmonise_book,
    harmonise_tune_text,
    root_agreement,
    score_book,
    set_aside_chords,
    strip_chords,
)

__all__ = [
    "Chord",
    "ChordChoice",
    "ChordsAside",
    "Melody",
    "chord_name",
    "chord_root_pc",
    "harmonise_book",
    "harmonise_melody",
    "harmonise_tune_text",
    "read_body",
    "read_melody",
    "root_agreement",
    "score_book",
    "set_aside_chords",
    "slot_grid",
    "strip_chords",
    "vocabulary",
]
