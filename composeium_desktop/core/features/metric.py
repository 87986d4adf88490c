"""Where the body being written stands in musical time: the decoder's metric-position input.

A Transformer reading ABC sees characters, not time: whether ``c2d`` fits the bar depends on
durations written many tokens back. With each body token the decoder therefore also reads four
small categorical features of the text so far, computed by the notation core's
:class:`~composeium_desktop.core.abcnotation.BarTracker` (the same code that checks bar lengths):

* ``remaining``: room left in the current bar, in 1/96 whole notes (0 free meter or unknown,
  1 overfull, else 2 + the room, capped);
* ``elapsed``: length of the current bar so far, in 1/96 whole notes (0 unknown, else 1 + it);
* ``bar``: bars completed so far (0 unknown, else 1 + the count, capped);
* ``state``: what is open, as bits (slur, tuplet, grace group, chord, quote, inline field, any
  other unfinished symbol, and whether the bar may be short as a pickup), plus one;
* ``to_go``: bars still to write before the tune's intended length (0 when no length is
  given or the text is unreadable, else 1 + the bars left, never below 0, capped). Training
  gives most tunes their own length (``body_bars``) and some none; generation gives the length
  the user asked for or one drawn like the corpus's. Knowing it, the decoder can plan the last
  phrase and its cadence instead of deciding after each bar whether the tune is over.

Features are a pure function of the text (and the intended length): training computes them
for every prefix of a corpus body, generation for every prefix it writes, so both see the same
values. Text the tracker cannot read (a lexing error) makes every later feature "unknown" (0),
never an exception. A 1/96 grid holds every duration the corpus uses (32nd notes, triplets of
eighths and 16ths); other durations are rounded to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from composeium_desktop.core.abcnotation import ABCError, BarTracker

if TYPE_CHECKING:  # NumPy is imported where features become arrays (training), not by the app
    import numpy as np

TICKS_PER_WHOLE = 96
MAX_TICKS = 191  # two bars of 4/4 minus one tick; longer room is capped
# The lengths in bars a request may ask for and the length feature can say.
MIN_BARS = 1
MAX_BARS = 126
REMAINING_SIZE = MAX_TICKS + 3
ELAPSED_SIZE = MAX_TICKS + 2
BAR_SIZE = MAX_BARS + 2
_STATE_BITS = {"slur": 1, "tuplet": 2, "grace": 4, "chord": 8, "quote": 16, "field": 32}
_OTHER_OPEN = 64
_MAY_BE_SHORT = 128
STATE_SIZE = 257
TO_GO_SIZE = MAX_BARS + 2
FEATURE_SIZES = (REMAINING_SIZE, ELAPSED_SIZE, BAR_SIZE, STATE_SIZE, TO_GO_SIZE)
"""Vocabulary size of each feature, in the order of a feature row."""
POSITION_FEATURES = 4
"""The first four features (position in the bar and tune); decoders trained before the
``to_go`` feature existed read only these."""
UNKNOWN = (0, 0, 0, 0, 0)
TRAIN_UNIT = "1/8"


def _ticks(length: Fraction) -> int:
    return int(round(length * TICKS_PER_WHOLE))


class MetricTracker:
    """Immutable: ``MetricTracker.start("6/8", total_bars=16).feed("A2B").features`` -> a
    feature row."""

    __slots__ = ("_tracker", "total_bars", "features")

    def __init__(self, tracker: BarTracker | None, total_bars: int | None = None) -> None:
        self._tracker = tracker
        self.total_bars = total_bars
        self.features = _features(tracker, total_bars) if tracker is not None else UNKNOWN

    @classmethod
    def start(
        cls, meter: str, unit: str = TRAIN_UNIT, total_bars: int | None = None
    ) -> MetricTracker:
        """The tracker at the start of a body in ``meter`` (unknown if the meter is not one)
        meant to be ``total_bars`` long (None: length unknown)."""
        try:
            return cls(BarTracker.start(meter, unit, strict=False), total_bars)
        except (ABCError, ValueError):
            return cls(None, total_bars)

    @property
    def bars_completed(self) -> int | None:
        """Bars closed so far (None once the text is unreadable)."""
        return None if self._tracker is None else self._tracker.bars_completed

    def feed(self, text: str) -> MetricTracker:
        """The tracker after ``text`` (every feature unknown from the first unreadable text)."""
        if self._tracker is None or not text:
            return self
        try:
            return MetricTracker(self._tracker.feed(text), self.total_bars)
        except (ABCError, ValueError):
            return MetricTracker(None, self.total_bars)


def body_bars(body: str, meter: str) -> int | None:
    """The bars a whole body closes, as the ``to_go`` feature counts them (None if unreadable)."""
    return MetricTracker.start(meter).feed(body).bars_completed


def _features(tracker: BarTracker, total_bars: int | None) -> tuple[int, int, int, int, int]:
    elapsed = min(max(_ticks(tracker.bar_elapsed), 0), MAX_TICKS)
    remaining_length = tracker.bar_remaining
    if remaining_length is None:
        remaining = 0
    elif remaining_length < 0:
        remaining = 1
    else:
        remaining = 2 + min(_ticks(remaining_length), MAX_TICKS)
    state = 0
    for name in tracker.open_constructs:
        state |= _STATE_BITS.get(name, _OTHER_OPEN)
    if tracker.bar_may_be_short:
        state |= _MAY_BE_SHORT
    done = tracker.bars_completed
    to_go = 0 if total_bars is None else 1 + min(max(total_bars - done, 0), MAX_BARS)
    return remaining, 1 + elapsed, 1 + min(done, MAX_BARS), 1 + state, to_go


def sequence_features(
    pieces: Sequence[str], meter: str, total_bars: int | None = None
) -> np.ndarray:
    """int32 [len(pieces) + 1, 5]: the features at the start of the body (read with BOS) and
    after each piece (read with that piece), for a tune meant to be ``total_bars`` long."""
    import numpy as np

    tracker = MetricTracker.start(meter, total_bars=total_bars)
    rows = [tracker.features]
    for piece in pieces:
        tracker = tracker.feed(piece)
        rows.append(tracker.features)
    return np.asarray(rows, dtype=np.int32)
