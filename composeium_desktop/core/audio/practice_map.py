"""Where the practice tools go in a tune: its parts as loops, the note at a cursor, and the link
between the score's time and the player's.

No Qt. The score's timemap (core.render) is the tune straight, at its own tempo; the player's
(a MIDIResult's) is the same elements in the same order, moved by the lilt (a swung off-beat
comes later) and scaled to the playback tempo. `TimeLink` pairs them element by element, so a
clicked note, a loop or the score cursor lands on the note the player plays, swing included.

Parts come from the notation core's form reader (core.abcnotation.form): a part is looped as
the tune performs it, repeats included (a repeated part plays twice per pass round the loop,
the first ending the first time, the second ending the second time), so both endings get
practised and the tempo ramp rises once per whole part.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from composeium_desktop.core.abcnotation import ABCError, parse_tune
from composeium_desktop.core.abcnotation.form import read_form
from composeium_desktop.core.render import TimedElement

Position = tuple[int, int]  # (line, column), 1-based, in the tune's text


@dataclass(frozen=True)
class PartLoop:
    """One part of the tune as a loop: `start_ms`/`end_ms` in the score's time (straight, the
    tune's own tempo), `first`/`last` where it is written (its first note, its last bar line)."""

    label: str
    start_ms: float
    end_ms: float
    first: Position
    last: Position
    bars: int
    repeated: bool

    @property
    def title(self) -> str:
        times = ", twice" if self.repeated else ""
        return f"Part {self.label} ({self.bars} bars{times})"


def part_loops(
    text: str, timemap: Sequence[TimedElement], positions: Mapping[str, Position]
) -> tuple[PartLoop, ...]:
    """The parts the form reader finds in `text` (one tune; lines before it may be blank),
    each with the span of the performance (`timemap`, repeats expanded) that plays it."""
    tune = parse_tune(text)
    try:
        parts = read_form(tune.body, tune.meter, tune.unit, tune.key)
    except ABCError:
        return ()
    order = sorted(timemap, key=lambda e: e.on_ms)
    end_of_tune = max((e.off_ms for e in order), default=0.0)
    offset = tune.body_line - 1
    loops: list[PartLoop] = []
    for part in parts:
        (line, col), (end_line, end_col) = part.source_span()
        first, last = (line + offset, col), (end_line + offset, end_col)
        span = _performed_span(order, positions, first, last, end_of_tune)
        if span is not None:
            label = chr(ord("A") + min(len(loops), 25))
            loops.append(PartLoop(label, *span, first, last, part.bar_count, part.repeated))
    return tuple(loops)


def _performed_span(
    order: Sequence[TimedElement],
    positions: Mapping[str, Position],
    first: Position,
    last: Position,
    end_of_tune: float,
) -> tuple[float, float] | None:
    """From the first element written between `first` and `last` to the next element written
    elsewhere (elements without a source position go with their neighbours)."""

    def inside(element: TimedElement) -> bool | None:
        where = positions.get(element.id)
        return None if where is None else first <= where < last

    start = next((i for i, element in enumerate(order) if inside(element)), None)
    if start is None:
        return None
    stop = next((j for j in range(start, len(order)) if inside(order[j]) is False), None)
    end = order[stop].on_ms if stop is not None else end_of_tune
    return (order[start].on_ms, end) if end > order[start].on_ms else None


def element_from(positions: Mapping[str, Position], where: Position) -> str | None:
    """The element written at `where` or, failing that, the next one after it (the note a
    "play from the cursor" starts with); None past the last note."""
    later = [(position, eid) for eid, position in positions.items() if position >= where]
    return min(later)[1] if later else None


def loop_source_range(
    positions: Mapping[str, Position],
    timemap: Sequence[TimedElement],
    start_ms: float,
    end_ms: float,
) -> tuple[Position, Position] | None:
    """Where the notes that sound between two score times are written: the first one's position
    and the position of the next note written after the last one (None: no note sounds)."""
    looped = {e.id for e in timemap if start_ms - 0.5 <= e.on_ms < end_ms - 0.5}
    written = sorted(positions[eid] for eid in looped if eid in positions)
    if not written:
        return None
    after = sorted(p for p in positions.values() if p > written[-1])
    return written[0], after[0] if after else (written[-1][0], written[-1][1] + 1)


class TimeLink:
    """Score time <-> player time for one tune, from the two timemaps of the same elements.

    `scale` is player ms per score ms without the lilt (the score's tempo over the MIDI's);
    when the two timemaps do not pair up (another tune, an edit since), only it is used.
    """

    def __init__(
        self,
        score: Sequence[TimedElement] = (),
        played: Sequence[TimedElement] = (),
        scale: float = 1.0,
    ) -> None:
        self.scale = scale if scale > 0 else 1.0
        pairs = [(0.0, 0.0)]
        if score and len(score) == len(played):
            for ours, theirs in sorted(zip(score, played, strict=True), key=lambda p: p[0].on_ms):
                if ours.on_ms > pairs[-1][0] and theirs.on_ms > pairs[-1][1]:
                    pairs.append((ours.on_ms, theirs.on_ms))
        self._score = [p[0] for p in pairs]
        self._played = [p[1] for p in pairs]

    @property
    def paired(self) -> bool:
        return len(self._score) > 1

    def to_player(self, score_ms: float) -> float:
        return _interpolate(self._score, self._played, score_ms, self.scale)

    def to_score(self, player_ms: float) -> float:
        return _interpolate(self._played, self._score, player_ms, 1.0 / self.scale)


def _interpolate(xs: list[float], ys: list[float], x: float, slope: float) -> float:
    """Piecewise linear through (xs, ys); past the last point, on at `slope`."""
    index = bisect.bisect_right(xs, x) - 1
    if index < 0:
        return x * slope
    if index >= len(xs) - 1:
        return ys[-1] + (x - xs[-1]) * slope
    x0, x1, y0, y1 = xs[index], xs[index + 1], ys[index], ys[index + 1]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)
