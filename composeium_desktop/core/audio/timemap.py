"""When each engraved element sounds in a loaded tune: lookups by element id and by time.

The player asks it which elements sound at its position (for the score cursor), where to jump
for a clicked note, and which span a selection of notes covers (for a loop). Times are in the
MIDIResult's time base; the timemap is ordered by onset.
"""

from __future__ import annotations

import bisect

from composeium_desktop.core.render import TimedElement

# Elements that may still sound when a later one starts (a chord's notes, a held note).
_LOOK_BACK = 16


class ElementTimes:
    """Lookups in one timemap (a MIDIResult's `timemap`)."""

    def __init__(self, timemap: tuple[TimedElement, ...] = ()) -> None:
        self._timemap = timemap
        self._ons = [t.on_ms for t in timemap]

    def sounding(self, ms: float) -> tuple[str, ...]:
        """The ids of the elements sounding at `ms`."""
        end = bisect.bisect_right(self._ons, ms)
        window = self._timemap[max(0, end - _LOOK_BACK) : end]
        return tuple(t.id for t in window if t.on_ms <= ms < t.off_ms)

    def onset(self, element_id: str, at_or_after_ms: float) -> float:
        """When the element first sounds at or after a time (else its first sounding at all).

        Raises KeyError when the element is not in the timemap."""
        times = [t.on_ms for t in self._timemap if t.id == element_id]
        if not times:
            raise KeyError(f"no element {element_id!r} in the timemap")
        later = [t for t in times if t >= at_or_after_ms]
        return later[0] if later else times[0]

    def span(self, first_id: str, last_id: str) -> tuple[float, float]:
        """From the first onset of `first_id` to the end of `last_id`'s next sounding after it
        (a selection in the editor or the score). Raises KeyError for an unknown element."""
        ons = sorted(t.on_ms for t in self._timemap if t.id == first_id)
        if not ons:
            raise KeyError(f"no element {first_id!r} in the timemap")
        start = ons[0]
        offs = sorted(t.off_ms for t in self._timemap if t.id == last_id and t.off_ms > start)
        if not offs:
            raise KeyError(f"no element {last_id!r} after {first_id!r}")
        return start, offs[0]
