"""Keys: parsing and normalising K: values, key signatures and conventional key spellings."""

from __future__ import annotations

import re
from typing import NamedTuple

from composeium_desktop.core.abcnotation.errors import ABCError

MODES = ("major", "minor", "dorian", "mixolydian", "lydian", "phrygian", "locrian")
# The 12 pitch classes, spelled as key signatures usually spell them (fewest accidentals).
TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

LETTERS = "CDEFGAB"
NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MODE_SUFFIX = {
    "major": "",
    "minor": "m",
    "dorian": "dor",
    "mixolydian": "mix",
    "lydian": "lyd",
    "phrygian": "phr",
    "locrian": "loc",
}
MODE_STEPS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}
# ABC reads only the first three letters of a mode name, case-insensitively.
_MODE_PREFIX = {
    "": "major",
    "m": "minor",
    "maj": "major",
    "ion": "major",
    "min": "minor",
    "aeo": "minor",
    "dor": "dorian",
    "mix": "mixolydian",
    "lyd": "lydian",
    "phr": "phrygian",
    "loc": "locrian",
}
_ACC_TEXT = {"#": 1, "b": -1, "": 0}
_KEY_RE = re.compile(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)(.*)$", re.S)
# Key-signature accidentals written as ABC note accidentals in ``K:`` ("K:D exp ^f").
_EXPLICIT_RE = re.compile(r"(?<!\S)(\^\^|\^|__|_|=)([A-Ga-g])(?!\S)")


class KeySpec(NamedTuple):
    """A key: tonic spelling ("F#", "Bb", "C") and mode (one of :data:`MODES`).

    ``none`` is True for ``K:none`` (no key signature; treated as C major for pitches).
    ``extra`` keeps what followed the key in the field (``clef=bass``, explicit accidentals).
    """

    tonic: str
    mode: str
    none: bool = False
    extra: str = ""


def parse_key(k: str) -> KeySpec:
    """Parse a ``K:`` value such as ``"E Minor"``, ``"Amix"``, ``"Bb"``, ``"Hp"``, ``"none"``.

    Highland-pipe keys ``Hp``/``HP`` are read as A mixolydian (their written signature is
    F# C# with G natural).  An empty value means C major.  Raises :class:`ABCError` for a
    value that names no key.
    """
    text = k.split("%", 1)[0].strip()
    if not text:
        return KeySpec("C", "major")
    head = text.split(None, 1)
    low = head[0].lower()
    if low == "none":
        return KeySpec("C", "major", True, head[1] if len(head) > 1 else "")
    if low == "hp":
        return KeySpec("A", "mixolydian", False, head[1] if len(head) > 1 else "")
    if low == "h":  # abcm2ps and Verovio read no key here either
        raise ABCError(f"cannot read the key {k.strip()!r} (highland pipes are K:Hp or K:HP)")
    if text[0] in "^_=":  # only explicit accidentals: C major plus them
        return KeySpec("C", "major", False, text)
    m = _KEY_RE.match(text)
    if m is None:
        raise ABCError(f"cannot read the key {k.strip()!r}")
    letter, acc, word, rest = m.groups()
    mode_key = word.lower()[:3]
    if mode_key.startswith("m") and mode_key not in _MODE_PREFIX:
        mode_key = "m"
    if mode_key not in _MODE_PREFIX:
        clause = word == "" or rest.startswith("=")  # "middle=B", "transpose=-2" ...
        if clause or word.lower() in ("exp", "clef", "bass", "treble", "alto", "tenor", "perc"):
            mode_key = ""
            rest = (word + rest) if word else rest
        elif word.lower() in ("n", "nat"):  # "Bn" seen in the wild: B natural
            mode_key = ""
        else:
            raise ABCError(f"unknown mode {word!r} in key {k.strip()!r}")
    return KeySpec(letter.upper() + acc, _MODE_PREFIX[mode_key], False, rest.strip())


def key_name(tonic: str, mode: str) -> str:
    """ABC spelling of a key: ``key_name("F#", "minor") == "F#m"``."""
    if mode not in MODE_SUFFIX:
        raise ABCError(f"unknown mode {mode!r}")
    return tonic + MODE_SUFFIX[mode]


def normalise_key(k: str) -> str:
    """Normalise a ``K:`` value: ``"E Minor" -> "Em"``, ``"Dmaj" -> "D"``, ``"none" -> "none"``."""
    spec = parse_key(k)
    if spec.none:
        return "none"
    return key_name(spec.tonic, spec.mode)


def tonic_pc(tonic: str) -> int:
    """Pitch class (0 = C) of a tonic spelling like ``"F#"``."""
    return (NATURAL_PC[tonic[0].upper()] + sum(_ACC_TEXT[c] for c in tonic[1:])) % 12


def key_signature(spec: KeySpec) -> dict[str, int]:
    """Accidental per upper-case letter (-1 flat, +1 sharp) implied by the key.

    Explicit accidentals after the key (``K:D ^g``) change the signature; after ``exp``
    (``K:D exp ^f``) they are the whole signature.
    """
    explicit_only = spec.none or spec.extra.lower().startswith("exp")
    sig = dict.fromkeys(LETTERS, 0) if explicit_only else scale_signature(spec.tonic, spec.mode)
    for acc, letter in _EXPLICIT_RE.findall(spec.extra):
        sig[letter.upper()] = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[acc]
    return sig


def scale_signature(tonic: str, mode: str) -> dict[str, int]:
    """Accidental per letter of the scale of ``tonic`` in ``mode``."""
    start = LETTERS.index(tonic[0].upper())
    base = tonic_pc(tonic)
    sig: dict[str, int] = {}
    for degree, step in enumerate(MODE_STEPS[mode]):
        letter = LETTERS[(start + degree) % 7]
        acc = (base + step - NATURAL_PC[letter]) % 12
        sig[letter] = acc - 12 if acc > 6 else acc
    return sig


def signature_size(tonic: str, mode: str) -> int:
    """Number of accidentals in the key signature (double accidentals count twice)."""
    return sum(abs(a) for a in scale_signature(tonic, mode).values())


def conventional_tonic(pc: int, mode: str) -> str:
    """The usual spelling of a tonic with pitch class ``pc`` in ``mode``.

    Fewest accidentals wins; a tie (F#/Gb major, D#/Eb minor) goes to the flat spelling.
    """
    best: tuple[int, int, str] | None = None
    for letter in LETTERS:
        for acc_text, acc in (("b", -1), ("", 0), ("#", 1)):
            if (NATURAL_PC[letter] + acc) % 12 != pc % 12:
                continue
            tonic = letter + acc_text
            cand = (signature_size(tonic, mode), 0 if acc <= 0 else 1, tonic)
            if best is None or cand < best:
                best = cand
    assert best is not None
    return best[2]


def transpose_key(spec: KeySpec, semitones: int) -> KeySpec:
    """The key ``semitones`` away from ``spec`` with the conventional spelling (none stays none)."""
    if spec.none:
        return spec
    tonic = conventional_tonic(tonic_pc(spec.tonic) + semitones, spec.mode)
    return KeySpec(tonic, spec.mode, False, spec.extra)
