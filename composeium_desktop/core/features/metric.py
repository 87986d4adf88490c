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

and, for a decoder trained with form features, where the text stands in the tune's form as the
notation core reads parts from bar lines (``BarTracker.form_position``):

* ``part``: the part being written (1 + its index, capped; 0 unknown);
* ``part_bar``: bars written in this part so far, as a musician counts them (no pickup; a
  second ending counts from where the first began), plus one, capped;
* ``part_to_go``: bars still to write in this part of the intended form (0 when no form is
  given, the part is beyond it or the text is unreadable, else 1 + the bars left, never below
  0): the parts' lengths are each corpus tune's own (``form_bars``) in training, and the
  request's form plan in generation;
* ``ending``: 1 in no ending, 2 in a first ending, 3 in a second (or later) ending, 4 just
  after a first ending's closing repeat (0 unknown).

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
MAX_PARTS = 8
MAX_PART_BARS = 32
PART_SIZE = MAX_PARTS + 1
PART_BAR_SIZE = MAX_PART_BARS + 2
PART_TO_GO_SIZE = MAX_PART_BARS + 2
ENDING_SIZE = 5
FEATURE_SIZES = (
    REMAINING_SIZE,
    ELAPSED_SIZE,
    BAR_SIZE,
    STATE_SIZE,
    TO_GO_SIZE,
    PART_SIZE,
    PART_BAR_SIZE,
    PART_TO_GO_SIZE,
    ENDING_SIZE,
)
"""Vocabulary size of each feature, in the order of a feature row."""
POSITION_FEATURES = 4
"""The first four features (position in the bar and tune); decoders trained before the
``to_go`` feature existed read only these."""
LENGTH_FEATURES = 5
"""... and decoders trained before the form features existed read the first five."""
UNKNOWN = (0,) * len(FEATURE_SIZES)
_ENDING_IDS = {"": 1, "1": 2}


def feature_sizes(metric: bool, length: bool, form: bool) -> tuple[int, ...]:
    """The feature tables a decoder reads: none, the position features, + the length
    feature, + the form features (a row's prefix: only a decoder that reads the length reads
    the form)."""
    if not metric:
        return ()
    if form and length:
        return FEATURE_SIZES
    return FEATURE_SIZES[: LENGTH_FEATURES if length else POSITION_FEATURES]


TRAIN_UNIT = "1/8"


def _ticks(length: Fraction) -> int:
    """``round(length * TICKS_PER_WHOLE)`` (half to even, as ``round`` rounds a Fraction) in
    integers: this runs for every token the decoder writes."""
    quotient, rest = divmod(length.numerator * TICKS_PER_WHOLE, length.denominator)
    twice = 2 * rest
    if twice > length.denominator or (twice == length.denominator and quotient % 2):
        quotient += 1
    return quotient


class MetricTracker:
    """Immutable: ``MetricTracker.start("6/8", total_bars=16).feed("A2B").features`` -> a
    feature row."""

    __slots__ = ("_tracker", "total_bars", "parts", "features")

    def __init__(
        self,
        tracker: BarTracker | None,
        total_bars: int | None = None,
        parts: tuple[int, ...] | None = None,
    ) -> None:
        self._tracker = tracker
        self.total_bars = total_bars
        self.parts = parts
        self.features = _features(tracker, total_bars, parts) if tracker is not None else UNKNOWN

    @classmethod
    def start(
        cls,
        meter: str,
        unit: str = TRAIN_UNIT,
        total_bars: int | None = None,
        parts: tuple[int, ...] | None = None,
    ) -> MetricTracker:
        """The tracker at the start of a body in ``meter`` (unknown if the meter is not one)
        meant to be ``total_bars`` long (None: length unknown) in parts of ``parts`` bars each
        (None: form unknown)."""
        try:
            return cls(BarTracker.start(meter, unit, strict=False), total_bars, parts)
        except (ABCError, ValueError):
            return cls(None, total_bars, parts)

    @property
    def bars_completed(self) -> int | None:
        """Bars closed so far (None once the text is unreadable)."""
        return None if self._tracker is None else self._tracker.bars_completed

    def feed(self, text: str) -> MetricTracker:
        """The tracker after ``text`` (every feature unknown from the first unreadable text)."""
        if self._tracker is None or not text:
            return self
        try:
            return MetricTracker(self._tracker.feed(text), self.total_bars, self.parts)
        except (ABCError, ValueError):
            return MetricTracker(None, self.total_bars, self.parts)


def body_bars(body: str, meter: str) -> int | None:
    """The bars a whole body closes, as the ``to_go`` feature counts them (None if unreadable)."""
    return MetricTracker.start(meter).feed(body).bars_completed


def form_bars(body: str, meter: str) -> tuple[int, ...] | None:
    """The bars of each part of a whole body, as the form features count them (None if the
    text is unreadable)."""
    return body_form(body, meter)[1]


def body_form(body: str, meter: str) -> tuple[int | None, tuple[int, ...] | None]:
    """``(body_bars(body, meter), form_bars(body, meter))`` from one reading of the body."""
    try:
        tracker = BarTracker.start(meter, TRAIN_UNIT, strict=False).feed(body)
        bars = tracker.bars_completed  # reading what is still pending may fail too
    except (ABCError, ValueError):
        return None, None
    try:
        counts = tracker.finish().part_bars
    except (ABCError, ValueError):
        return bars, None
    return bars, counts[:-1] if counts[-1] == 0 and len(counts) > 1 else counts


def _features(
    tracker: BarTracker, total_bars: int | None, parts: tuple[int, ...] | None
) -> tuple[int, ...]:
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
    part, part_bars, ending, after_first = tracker.form_position
    if parts is None or part >= len(parts):
        part_to_go = 0
    else:
        part_to_go = 1 + min(max(parts[part] - part_bars, 0), MAX_PART_BARS)
    return (
        remaining,
        1 + elapsed,
        1 + min(done, MAX_BARS),
        1 + state,
        to_go,
        1 + min(part, MAX_PARTS - 1),
        1 + min(part_bars, MAX_PART_BARS),
        part_to_go,
        4 if after_first else _ENDING_IDS.get(ending, 3),
    )


def sequence_features(
    pieces: Sequence[str],
    meter: str,
    total_bars: int | None = None,
    parts: tuple[int, ...] | None = None,
) -> np.ndarray:
    """int32 [len(pieces) + 1, len(FEATURE_SIZES)]: the features at the start of the body (read
    with BOS) and after each piece (read with that piece), for a tune meant to be ``total_bars``
    long in parts of ``parts`` bars."""
    import numpy as np

    tracker = MetricTracker.start(meter, total_bars=total_bars, parts=parts)
    rows = [tracker.features]
    for piece in pieces:
        tracker = tracker.feed(piece)
        rows.append(tracker.features)
    return np.asarray(rows, dtype=np.int32)
