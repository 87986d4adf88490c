"""The tune's tempo in the unit its Q: field counts, so that the form, Q: and the transport agree.

No Qt. `Q:3/8=120` is 120 dotted quarters a minute (180 quarters, what the player and the MIDI
count in). A Q: with a number alone counts quarters, as the engraver reads it; a tune without Q:
is counted in the meter's beat as the generator writes it (core.generation.request.tempo_field):
dotted quarters in 3/8, 6/8, 9/8 and 12/8, else the meter's denominator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from composeium_desktop.core.abcnotation import parse_tune

_BEAT_RE = re.compile(r"((?:\d+\s*/\s*\d+\s*)+)=")
_SYMBOLS = {
    Fraction(1, 4): ("\u2669", "quarter notes"),
    Fraction(3, 8): ("\u2669.", "dotted quarter notes"),
    Fraction(1, 8): ("\u266a", "eighth notes"),
    Fraction(3, 16): ("\u266a.", "dotted eighth notes"),
    Fraction(1, 2): ("1/2", "half notes"),
    Fraction(3, 4): ("3/4", "dotted half notes"),
}


@dataclass(frozen=True)
class TempoBeat:
    """The note a tempo counts (a fraction of a whole note)."""

    beat: Fraction = Fraction(1, 4)

    def to_quarters(self, per_minute: float) -> float:
        """Beats a minute in this unit -> quarter notes a minute."""
        return float(per_minute * self.beat * 4)

    def from_quarters(self, quarters: float) -> float:
        return float(quarters / float(self.beat * 4))

    @property
    def symbol(self) -> str:
        """A short sign for the beat: "♩", "♩." (dotted quarter), "♪", or the fraction."""
        found = _SYMBOLS.get(self.beat)
        return found[0] if found else f"{self.beat.numerator}/{self.beat.denominator}"

    @property
    def name(self) -> str:
        found = _SYMBOLS.get(self.beat)
        return found[1] if found else f"{self.beat.numerator}/{self.beat.denominator} notes"

    @property
    def field(self) -> str:
        """The beat as Q: writes it ("3/8")."""
        return f"{self.beat.numerator}/{self.beat.denominator}"


def meter_beat(meter: str) -> TempoBeat:
    """The beat musicians count in a meter ("6/8" -> dotted quarter, "2/2" -> half)."""
    try:
        count, unit = (int(x) for x in meter.split("/"))
    except ValueError:
        return TempoBeat()
    if unit <= 0:
        return TempoBeat()
    if unit == 8 and count % 3 == 0:
        return TempoBeat(Fraction(3, 8))
    return TempoBeat(Fraction(1, unit))


def tempo_beat(text: str) -> TempoBeat:
    """The beat the tune's tempo counts: Q:'s beat; quarters for a Q: with a number alone (as the
    engraver reads it); the meter's beat without a Q: (see the module)."""
    tune = parse_tune(text)
    field = tune.field("Q")
    if not field:
        return meter_beat(tune.meter)
    match = _BEAT_RE.search(re.sub(r'"[^"]*"', " ", field))
    if match is None:
        return TempoBeat()
    try:
        parts = re.sub(r"\s*/\s*", "/", match.group(1)).split()
        beat = sum((Fraction(part) for part in parts), Fraction(0))
    except (ValueError, ZeroDivisionError):
        return TempoBeat()
    return TempoBeat(beat) if beat > 0 else TempoBeat()
