"""What a melody sounds like at its end: the pitch class of the last note (key signature and
the accidentals carried through its bar honoured) and whether it is the key's tonic. The one
definition of "ends on the tonic" that generation, evaluation and training share."""

from __future__ import annotations

from composeium_desktop.core.abcnotation.keys import key_signature, parse_key, tonic_pc
from composeium_desktop.core.abcnotation.lexer import GRACE, GRACE_END, lex
from composeium_desktop.core.abcnotation.transpose import note_midi

_ACCIDENTALS = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}


def last_note_pc(body: str, key: str) -> int | None:
    """Pitch class of the body's last note, with the key signature (and inline K: changes)
    and the accidentals carried through its bar; None if the body has no note. Grace notes
    are ornaments, not where a melody ends: they are passed over. Raises ABCError where the
    body does not lex."""
    signature = key_signature(parse_key(key))
    carried: dict[tuple[str, str], int] = {}
    last = None
    in_grace = False
    for token in lex(body):
        if token.kind in (GRACE, GRACE_END):
            in_grace = token.kind == GRACE
        elif in_grace:
            continue
        elif token.kind == "bar":
            carried.clear()
        elif token.kind == "field" and token.text[1:2] == "K":
            signature = key_signature(parse_key(token.text[3:-1]))
        elif token.kind == "note":
            accidental_text, letter, octave = token.data
            if accidental_text:
                accidental = _ACCIDENTALS[accidental_text]
                carried[(letter, octave)] = accidental
            else:
                accidental = carried.get((letter, octave), signature.get(letter.upper(), 0))
            last = note_midi(letter, octave, accidental) % 12
    return last


def ends_on_tonic(body: str, key: str) -> bool:
    """Whether the body's last note is the tonic of ``key`` (False without a note)."""
    return last_note_pc(body, key) == tonic_pc(parse_key(key).tonic)
