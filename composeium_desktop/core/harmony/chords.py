"""Chords: the vocabulary a mode uses (by style), their tones, and their names spelled in the key.

A chord is a scale degree of the tune's mode (``degree`` 0-6 counted in letters from the tonic,
which fixes the spelling: in D mixolydian degree 6 is C, not B#), a root offset in semitones
from the tonic, and a quality: ``""`` major, ``"m"`` minor, ``"7"`` dominant seventh, ``"m7"``,
``"dim"``.  :func:`chord_root_pc` reads the root of any written chord symbol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation.keys import LETTERS, NATURAL_PC, KeySpec, tonic_pc

QUALITY_TONES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "m7": (0, 3, 7, 10),
    "dim": (0, 3, 6),
}
STYLES = ("simple", "rich")


@dataclass(frozen=True)
class Chord:
    """A chord of the mode: roman numeral (for priors and tests), letter degree, root offset
    from the tonic in semitones, quality, and the bass as an offset from the root (0 root
    position, the third for a first inversion)."""

    numeral: str
    degree: int
    offset: int
    quality: str
    bass: int = 0

    @property
    def tones(self) -> tuple[int, ...]:
        """Chord tones as offsets from the tonic (root first)."""
        return tuple((self.offset + t) % 12 for t in QUALITY_TONES[self.quality])

    def with_quality(self, quality: str) -> Chord:
        return Chord(self.numeral, self.degree, self.offset, quality, self.bass)

    def with_bass(self, bass: int) -> Chord:
        return Chord(self.numeral, self.degree, self.offset, self.quality, bass)


def _c(numeral: str, degree: int, offset: int, quality: str) -> Chord:
    return Chord(numeral, degree, offset, quality)


I, IV, V = _c("I", 0, 0, ""), _c("IV", 3, 5, ""), _c("V", 4, 7, "")  # noqa: E741
i_, iv, v = _c("i", 0, 0, "m"), _c("iv", 3, 5, "m"), _c("v", 4, 7, "m")
ii, iii, vi = _c("ii", 1, 2, "m"), _c("iii", 2, 4, "m"), _c("vi", 5, 9, "m")
bIII, bVI, bVII = _c("bIII", 2, 3, ""), _c("bVI", 5, 8, ""), _c("bVII", 6, 10, "")
II = _c("II", 1, 2, "")
# Secondary dominants, for a melody with the chromatic note they hold: V of V (A7 in G, the
# sharp fourth), V of vi (B7 in G, the sharp fifth), V of ii (E7 in G, the sharp tonic).
V_OF_V = _c("V/V", 1, 2, "7")
V_OF_VI = _c("V/vi", 2, 4, "7")
V_OF_II = _c("V/ii", 5, 9, "7")

# The chords each mode uses: simple (I, IV, V and their modal cousins), rich adds the rest.
VOCABULARY: dict[str, dict[str, tuple[Chord, ...]]] = {
    "major": {
        "simple": (I, IV, V),
        "rich": (I, IV, V, ii, vi, iii, V_OF_V, V_OF_VI, V_OF_II),
    },
    "minor": {"simple": (i_, iv, V, bVI, bVII, bIII), "rich": (i_, iv, V, bVI, bVII, bIII, v)},
    "dorian": {"simple": (i_, IV, bVII, bIII), "rich": (i_, IV, bVII, bIII, v, ii)},
    "mixolydian": {"simple": (I, IV, bVII, v), "rich": (I, IV, bVII, v, ii, vi)},
    "lydian": {"simple": (I, II, V), "rich": (I, II, V, vi, iii)},
    "phrygian": {
        "simple": (i_, _c("bII", 1, 1, ""), bVII, iv),
        "rich": (i_, _c("bII", 1, 1, ""), bVII, iv, bIII, bVI),
    },
    "locrian": {
        "simple": (_c("i°", 0, 0, "dim"), _c("bII", 1, 1, ""), _c("bv", 4, 6, "")),
        "rich": (_c("i°", 0, 0, "dim"), _c("bII", 1, 1, ""), _c("bv", 4, 6, "")),
    },
}


def vocabulary(mode: str, style: str) -> tuple[Chord, ...]:
    """The chords of ``mode`` (one of keys.MODES) in ``style`` (simple or rich); the tonic first."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (simple or rich)")
    return VOCABULARY.get(mode, VOCABULARY["major"])[style]


def _spell(letter_index: int, pc: int) -> str:
    letter = LETTERS[letter_index % 7]
    diff = (pc - NATURAL_PC[letter]) % 12
    diff = diff - 12 if diff > 6 else diff
    return letter + {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}.get(diff, "")


def chord_name(chord: Chord, key: KeySpec) -> str:
    """The chord symbol spelled in ``key``: ``"A7"``, ``"Em"``, ``"C"`` (D mixolydian), ``"G/B"``."""
    start = LETTERS.index(key.tonic[0].upper())
    root_pc = (tonic_pc(key.tonic) + chord.offset) % 12
    name = _spell(start + chord.degree, root_pc) + chord.quality
    if chord.bass:
        third_steps = 2 if chord.bass in (3, 4) else 4 if chord.bass in (6, 7) else 6
        name += "/" + _spell(start + chord.degree + third_steps, root_pc + chord.bass)
    return name


_ROOT_RE = re.compile(r"\(?([A-G])([#b]?)")


def chord_root_pc(symbol: str) -> int | None:
    """Pitch class of a chord symbol's root (``"F#m7/A"`` -> 6); None for text with no root."""
    match = _ROOT_RE.match(symbol.strip())
    if match is None:
        return None
    letter, acc = match.groups()
    return (NATURAL_PC[letter] + {"#": 1, "b": -1, "": 0}[acc]) % 12


def chord_symbol_pcs(symbol: str) -> tuple[int, tuple[int, ...], int] | None:
    """(root pc, chord tone pcs, bass pc) of a written chord symbol such as ``"Am7/G"``,
    ``"D"``, ``"Bdim"``, ``"Gsus4"``; None for text that names no chord."""
    text = symbol.strip()
    match = re.match(r"([A-G])([#b]?)([^/]*)(?:/([A-G])([#b]?))?", text)
    if match is None:
        return None
    letter, acc, quality, bass_letter, bass_acc = match.groups()
    root = (NATURAL_PC[letter] + {"#": 1, "b": -1, "": 0}[acc]) % 12
    q = quality.strip("()")
    tones: tuple[int, ...]
    if q.startswith(("m7b5", "ø")):
        tones = (0, 3, 6, 10)
    elif q.startswith(("dim", "o")):
        tones = (0, 3, 6, 9) if "7" in q else (0, 3, 6)
    elif q.startswith("aug") or q.startswith("+"):
        tones = (0, 4, 8)
    elif q.startswith(("maj7", "M7")):
        tones = (0, 4, 7, 11)
    elif q.startswith(("m", "min")) and not q.startswith("maj"):
        tones = (0, 3, 7, 10) if "7" in q else (0, 3, 7)
    elif q.startswith("sus2"):
        tones = (0, 2, 7)
    elif q.startswith("sus"):
        tones = (0, 5, 7)
    elif q.startswith("5"):
        tones = (0, 7)
    else:
        tones = (0, 4, 7, 10) if q[:1] in ("7", "9") or q.startswith("11") else (0, 4, 7)
    bass = root
    if bass_letter is not None:
        bass = (NATURAL_PC[bass_letter] + {"#": 1, "b": -1, "": 0}[bass_acc]) % 12
    return root, tuple((root + t) % 12 for t in tones), bass
