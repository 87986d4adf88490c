"""How much each melody note counts when an accompanist chooses a chord under it.

An accompanist hears the chord in the notes that land on the strong beats and the notes that
last; a quick note between two chord tones is heard as passing. So a note's weight is

* its **metric weight** (:func:`metric_weight`), by the meter's own beat hierarchy: the
  downbeat most, then the bar's middle (the half bar in reels, hornpipes and polkas, the second
  dotted quarter in jigs), then the other beats, then the off-beat eighths, then anything
  shorter.  A compound meter's beats are its dotted quarters: in 6/8 the third eighth is weak,
  not a beat;
* times a **melodic factor** (:func:`melodic_factors`): a note on a weak position that is
  approached and left by step in the same direction (a passing note) or by step to the same
  note it left (a neighbour note) counts for less.

Its length is counted by the caller (how long it sounds in the chord's window).
"""

from __future__ import annotations

from fractions import Fraction

from composeium_desktop.core.abcnotation.header import normalise_meter
from composeium_desktop.core.harmony.reading import NoteEvent

_F = Fraction

DOWNBEAT = 2.4
MIDDLE = 1.8
BEAT = 1.4
OFFBEAT = 1.0
SHORT = 0.55
PASSING = 0.45
NEIGHBOUR = 0.6

# (bar's middle, beat length) by meter; compound meters count dotted-quarter beats.
_BEATS: dict[str, tuple[Fraction | None, Fraction]] = {
    "4/4": (_F(1, 2), _F(1, 4)),
    "C": (_F(1, 2), _F(1, 4)),
    "2/2": (_F(1, 2), _F(1, 4)),
    "C|": (_F(1, 2), _F(1, 4)),
    "2/4": (_F(1, 4), _F(1, 8)),
    "3/4": (None, _F(1, 4)),
    "3/8": (None, _F(1, 8)),
    "6/8": (_F(3, 8), _F(3, 8)),
    "9/8": (None, _F(3, 8)),
    "12/8": (_F(6, 8), _F(3, 8)),
    "3/2": (None, _F(1, 2)),
    "6/4": (_F(3, 4), _F(3, 4)),
}


def metric_weight(pos: Fraction, meter: str) -> float:
    """The weight of a note starting ``pos`` whole notes into a bar of ``meter``."""
    norm = normalise_meter(meter) if meter else "4/4"
    middle, beat = _BEATS.get(norm, (None, _F(1, 4)))
    if pos == 0:
        return DOWNBEAT
    if middle is not None and pos == middle:
        return MIDDLE
    if pos % beat == 0:
        return BEAT
    if pos % _F(1, 8) == 0:
        return OFFBEAT
    return SHORT


def _step(a: int, b: int) -> int:
    """+1 / -1 where ``b`` is a step (1 or 2 semitones) above / below ``a``, else 0."""
    d = b - a
    return 1 if d in (1, 2) else -1 if d in (-1, -2) else 0


def melodic_factors(notes: list[NoteEvent], strong: list[bool]) -> list[float]:
    """For each note of ``notes`` (in time order, rests included), the factor its weight is
    multiplied by: :data:`PASSING` or :data:`NEIGHBOUR` for a passing or neighbour note that
    is not on a strong position (``strong``), 1 otherwise."""
    out = [1.0] * len(notes)
    for k in range(1, len(notes) - 1):
        prev, here, nxt = notes[k - 1], notes[k], notes[k + 1]
        if strong[k] or not (prev.pitches and here.pitches and nxt.pitches):
            continue
        if here.duration > prev.duration and here.duration > nxt.duration:
            continue  # a long note among short ones is heard, not passed over
        a, b, c = prev.pitches[-1], here.pitches[-1], nxt.pitches[-1]
        into, out_of = _step(a, b), _step(b, c)
        if into and into == out_of:
            out[k] = PASSING
        elif into and out_of == -into and a == c:
            out[k] = NEIGHBOUR
    return out
