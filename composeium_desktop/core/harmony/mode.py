"""The key and mode a tune is really in, read from its melody as an accompanist reads it.

Tune books often write a modal tune under a plain major or minor signature: an A mixolydian
reel as ``K:D``, an E dorian one as ``K:Em`` (its C sharps written in the music) or as ``K:D``,
an E minor jig as ``K:G``.  An accompanist hears the tonic where the tune comes to rest (its
last note, the end of its first part) and what the notes around it sound like, and reads the
mode from the third, sixth and seventh above that tonic.  :func:`read_mode`:

1. A key written with a mode name (``Edor``, ``Amix``...) is taken as written: someone chose it.
2. Otherwise the candidate tonics are the notes of the written scale; each scores by where the
   tune rests on it (its last note counts most, then the first part's last note and the first
   strong note) and by the share of strong-beat melody on its tonic triad.  The written tonic
   starts with a head start, and another tonic is a candidate only where the strong-beat
   melody leans on its triad more than on the written one: a tune that merely ends on its
   dominant stays where it was written.
3. The mode of the tonic chosen comes from the melody's own notes (weighted by length and
   metric weight): the third (major or minor), then the seventh (major: natural 7 major,
   flat 7 mixolydian) or the sixth (minor: major 6 dorian, minor 6 minor).

Everything is counted from the notes the notation core read; nothing is learned.
"""

from __future__ import annotations

from fractions import Fraction

from composeium_desktop.core.abcnotation.keys import (
    LETTERS,
    NATURAL_PC,
    KeySpec,
    key_signature,
    tonic_pc,
)
from composeium_desktop.core.harmony.reading import Melody
from composeium_desktop.core.harmony.salience import BEAT, metric_weight

WRITTEN_TONIC = 1.0
FINAL_NOTE = 2.0
FIRST_PART_END = 1.0
FIRST_STRONG_NOTE = 0.5
TRIAD_SHARE = 2.0


def _profiles(melody: Melody) -> tuple[list[float], list[float]]:
    """(all notes, notes on strong positions): weight per pitch class, by length times metric
    weight."""
    every, strong = [0.0] * 12, [0.0] * 12
    for note in melody.notes:
        if not note.pitches:
            continue
        bar = melody.bars[min(note.bar, len(melody.bars) - 1)]
        weight = metric_weight(note.onset - bar.start + melody.bar_offset(bar), bar.meter)
        for pitch in note.pitches:
            w = weight * float(note.duration) * 8.0 / len(note.pitches)
            every[pitch % 12] += w
            if weight >= BEAT:
                strong[pitch % 12] += w
    return every, strong


def _resting_pc(melody: Melody, end: Fraction) -> int | None:
    """The pitch class the melody comes to rest on just before ``end``: its last note, where
    that lasts at least a quarter (a part that ends on quick notes runs on into the next and
    says nothing about the tonic)."""
    last = None
    for note in melody.notes:
        if note.onset >= end:
            break
        if note.pitches:
            last = note
    if last is None or last.duration < Fraction(1, 4):
        return None
    return min(last.pitches) % 12


def _mode_of(tonic: int, every: list[float], written_mode: str) -> str:
    def share(offset: int) -> float:
        return every[(tonic + offset) % 12]

    major = share(4) > share(3) if share(4) != share(3) else written_mode in ("major", "mixolydian")
    if major:
        return "mixolydian" if share(10) > share(11) else "major"
    return "dorian" if share(9) > share(8) else "minor"


def _spelled(pc: int, key: KeySpec) -> str:
    """The tonic with pitch class ``pc`` spelled as the written key signature spells it."""
    signature = key_signature(key)
    for letter in LETTERS:
        if (NATURAL_PC[letter] + signature.get(letter, 0)) % 12 == pc:
            return letter + {1: "#", -1: "b", 0: ""}.get(signature.get(letter, 0), "")
    return key.tonic


def read_mode(melody: Melody) -> KeySpec:
    """The key ``melody`` is in (see the module docstring); the written key where it says a
    mode, where the melody is empty, or where the tune does not clearly rest elsewhere."""
    key = melody.key
    if key.none or key.mode not in ("major", "minor") or not any(n.pitches for n in melody.notes):
        return key
    every, strong = _profiles(melody)
    written = tonic_pc(key.tonic)
    signature = key_signature(key)
    scale = {(NATURAL_PC[x] + signature.get(x, 0)) % 12 for x in LETTERS}
    final = _resting_pc(melody, melody.end + 1)
    first_end = next((b.start + b.length for b in melody.bars if b.part_end), None)
    part_end = _resting_pc(melody, first_end) if first_end is not None else None
    first_strong = next(
        (
            min(n.pitches) % 12
            for n in melody.notes
            if n.pitches and not melody.bars[min(n.bar, len(melody.bars) - 1)].pickup
        ),
        None,
    )
    total = sum(strong) or 1.0

    def triad(tonic: int) -> float:
        quality = 4 if every[(tonic + 4) % 12] >= every[(tonic + 3) % 12] else 3
        return sum(strong[(tonic + x) % 12] for x in (0, quality, 7)) / total

    def score(tonic: int) -> float:
        if tonic != written and triad(tonic) <= triad(written):
            return float("-inf")  # the notes themselves must lean there too
        return (
            WRITTEN_TONIC * (tonic == written)
            + FINAL_NOTE * (tonic == final)
            + FIRST_PART_END * (tonic == part_end)
            + FIRST_STRONG_NOTE * (tonic == first_strong)
            + TRIAD_SHARE * triad(tonic)
        )

    best = max(sorted(scale), key=lambda pc: (score(pc), pc == written))
    mode = _mode_of(best, every, key.mode)
    if best == written and mode == key.mode:
        return key
    tonic = key.tonic if best == written else _spelled(best, key)
    return KeySpec(tonic, mode, key.none, key.extra)
