"""Mode inference for keys written without a mode, and removal of redundant accidentals.

The Essen collection's K: fields name only the tonic: its source encoding (EsAC) has no mode,
so every tune is written as a major key and the actual scale is spelled with accidentals on the
notes (a G minor song is ``K:G`` with every B written ``_B``). For that collection the mode is
inferred from the scale degrees the tune uses, after it has been transposed to tonic C:

* minor third (E flat) used more than the major third -> a minor-family mode:
  phrygian when the flat second is used more than the natural second, dorian when the major
  sixth is used more than the minor sixth, minor (aeolian) otherwise;
* otherwise a major-family mode: mixolydian when the flat seventh is used more than the
  major seventh, lydian when the sharp fourth is used more than the natural fourth, major
  otherwise.

Accidentals are counted as the notes sound: an accidental holds to the end of its bar.

Once the key signature is the mode's, accidentals the signature already implies are dropped
(``_E`` in C minor becomes ``E``), so one pitch has one spelling across collections. An
accidental is only dropped when no other accidental on that letter (in any octave) came before
it in the bar, so the result sounds the same whichever octave rule a player applies.
"""

from __future__ import annotations

from collections import Counter

from composeium_desktop.core import abcnotation

_ACCIDENTALS = {"": None, "=": 0, "^": 1, "^^": 2, "_": -1, "__": -2}
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Collections whose K: fields carry a tonic but no mode.
MODELESS_COLLECTIONS = frozenset({"essenFolksong"})


def _signature(key: str) -> dict[str, int]:
    return abcnotation.key_signature(abcnotation.parse_key(key))


def pitch_class_counts(body: str, key: str) -> Counter[int]:
    """How often each pitch class (0 = C) sounds in the body, with bar-scoped accidentals."""
    counts: Counter[int] = Counter()
    signature = _signature(key)
    held: dict[tuple[str, str], int] = {}
    for token in abcnotation.lex(body):
        if token.kind == "bar":
            held.clear()
        elif token.kind == "field" and token.data and token.data[0] == "K":
            signature = _signature(token.data[1])
            held.clear()
        elif token.kind == "note":
            acc_text, letter, octave = token.data
            explicit = _ACCIDENTALS[acc_text]
            if explicit is not None:
                held[(letter, octave)] = explicit
            accidental = held.get((letter, octave), signature[letter.upper()])
            counts[(_NATURAL_PC[letter.upper()] + accidental) % 12] += 1
    return counts


def infer_mode_in_c(counts: Counter[int]) -> str:
    """The mode of a tune with tonic C from its pitch-class counts (rules in the docstring)."""
    if counts[3] > counts[4]:
        if counts[1] > counts[2]:
            return "phrygian"
        return "dorian" if counts[9] > counts[8] else "minor"
    if counts[10] > counts[11]:
        return "mixolydian"
    return "lydian" if counts[6] > counts[5] else "major"


def drop_redundant_accidentals(body: str, key: str) -> str:
    """The body with accidentals the key signature already implies removed (see docstring)."""
    tokens = abcnotation.lex(body)
    if "".join(t.text for t in tokens) != body:
        return body
    signature = _signature(key)
    touched: set[str] = set()
    out: list[str] = []
    for token in tokens:
        text = token.text
        if token.kind == "bar":
            touched.clear()
        elif token.kind == "field" and token.data and token.data[0] == "K":
            signature = _signature(token.data[1])
            touched.clear()
        elif token.kind == "note":
            acc_text, letter, _ = token.data
            upper = letter.upper()
            if acc_text:
                if upper not in touched and _ACCIDENTALS[acc_text] == signature[upper]:
                    text = text[len(acc_text) :]
                else:
                    touched.add(upper)
        out.append(text)
    return "".join(out)
