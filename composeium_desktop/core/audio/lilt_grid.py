"""The beat of a performance, counted from its bar lines: accents and where swing may warp time.

Bars begin where the first event after each bar line sounds (every time it sounds: repeats are
expanded). A short bar is a pickup, aligned to end on the next downbeat, unless a section-ending
bar line (`:|`, `||`, `|]`) closes it. Swing warps one beat group at a time (two eighths, or in
compound meters three): only where every onset in the group lies on its grid and no broken
rhythm (`>`, `<`) is played, so written rhythms are never swung twice.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from composeium_desktop.core.audio.lilt_marks import TuneMarks
from composeium_desktop.core.render import Performance

FIRST_VELOCITY = 105  # the first beat of the bar
STRONG_VELOCITY = 95  # the middle of an even bar (beat 3 of 4/4, the second half of 6/8)
BEAT_VELOCITY = 88  # the other beats
OFFBEAT_VELOCITY = 76  # notes between the beats
_TOL_Q = 0.02  # quarters: onsets are rounded to 1 us by the engraver, tuplets are 1/3 apart

Segment = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass(frozen=True)
class _Bar:
    start: float
    end: float
    origin: float  # where its downbeat is (before `start` in a pickup)


class MetricGrid:
    """Bars of one performance at its own tempo; times in ms."""

    def __init__(self, performance: Performance, bars: list[_Bar]) -> None:
        count, unit = performance.meter or (4, 4)
        self.ms_per_q = 60000.0 / performance.bpm
        self.compound = unit >= 8 and count % 3 == 0 and count > 3
        self.bar_q = count * 4.0 / unit
        self.pulse_q = 12.0 / unit if self.compound else min(4.0 / unit, 1.0)
        pulses = round(self.bar_q / self.pulse_q)
        self.strong_half = pulses % 2 == 0 and abs(pulses * self.pulse_q - self.bar_q) < _TOL_Q
        # Swing: eighths in pairs (sixteenths in 2/4, as abc2midi swings a 2/4 hornpipe), or
        # in compound meters the beat's three notes.
        self.unit_q = 4.0 / unit if self.compound else (0.25 if (count, unit) == (2, 4) else 0.5)
        self.group = 3 if self.compound else 2
        self.bars = bars
        self._starts = [bar.start for bar in bars]
        self._performance = performance
        graces = [(on, off) for _, on, off, _, grace in performance.notes if grace]
        self._grace_on = {round(off, 3): on for on, off in graces}

    def written_onset(self, on: float) -> float:
        """Where a note's beat begins: before its grace notes, which take time from it."""
        seen = 0
        while round(on, 3) in self._grace_on and seen < 16:
            on = self._grace_on[round(on, 3)]
            seen += 1
        return on

    def position_q(self, t: float) -> float:
        """Quarters from the downbeat of the bar sounding at `t`."""
        tol = _TOL_Q * self.ms_per_q
        index = max(0, bisect.bisect_right(self._starts, t + tol) - 1)
        return (t - self.bars[index].origin) / self.ms_per_q

    def velocity(self, on: float) -> int:
        """The accent of a note beginning at `on` (as abc2midi's beat/stress models)."""
        p = self.position_q(self.written_onset(on))
        if _near(p, 0.0) or _near(p, self.bar_q):
            return FIRST_VELOCITY
        if self.strong_half and _near(p, self.bar_q / 2.0):
            return STRONG_VELOCITY
        if _near(p / self.pulse_q, round(p / self.pulse_q), _TOL_Q / self.pulse_q):
            return BEAT_VELOCITY
        return OFFBEAT_VELOCITY

    def warp_segments(self, ratio: float, marks: TuneMarks) -> list[Segment]:
        """Time warps: broken rhythms at `%%MIDI ratio`, then swing at `ratio` (long:short)."""
        broken, protected = self._broken(marks)
        segments = list(broken)
        if abs(ratio - 1.0) > 1e-6:
            segments.extend(self._swing(ratio, protected))
        return segments

    def _swing(self, ratio: float, protected: list[tuple[float, float]]) -> list[Segment]:
        unit = self.unit_q * self.ms_per_q
        group = unit * self.group
        tol = _TOL_Q * self.ms_per_q
        weights = [2.0 * ratio / (ratio + 1.0), 2.0 / (ratio + 1.0), 1.0][: self.group]
        onsets = self._written_onsets()
        segments: list[Segment] = []
        for bar in self.bars:
            k = max(0, int((bar.start - bar.origin) / group - _TOL_Q))
            while True:
                a = bar.origin + k * group
                b = a + group
                k += 1
                if b > bar.end + tol:
                    break
                if a < bar.start - tol or _overlaps(a, b, protected, tol):
                    continue
                inside = onsets[
                    bisect.bisect_right(onsets, a + tol) : bisect.bisect_left(onsets, b - tol)
                ]
                if any(not _near((t - a) / unit, round((t - a) / unit), _TOL_Q) for t in inside):
                    continue
                xs = tuple(a + i * unit for i in range(self.group)) + (b,)
                ys = [a]
                for weight in weights[:-1]:
                    ys.append(ys[-1] + weight * unit)
                segments.append((xs, (*ys, b)))
        return segments

    def _written_onsets(self) -> list[float]:
        """Every element's onset (notes, rests, tied continuations), grace notes not counted."""
        graces = {eid for eid, *_, grace in self._performance.notes if grace}
        onsets = {
            round(self.written_onset(t.on_ms), 3)
            for t in self._performance.timemap
            if t.id not in graces
        }
        return sorted(onsets)

    def _broken(self, marks: TuneMarks) -> tuple[list[Segment], list[tuple[float, float]]]:
        """`%%MIDI ratio` warps of `a>b` / `a<b`, and the spans of every broken rhythm."""
        ids = _ids_at(self._performance)
        times: dict[str, list[tuple[float, float]]] = {}
        for t in self._performance.timemap:
            times.setdefault(t.id, []).append((t.on_ms, t.off_ms))
        tol = _TOL_Q * self.ms_per_q
        segments: list[Segment] = []
        protected: list[tuple[float, float]] = []
        taken: list[tuple[float, float]] = []
        for pair in marks.broken:
            before, after = ids.get(pair.before), ids.get(pair.after)
            if not before or not after:
                continue
            for on_a, off_a in times.get(before[0], ()):
                nexts = [(on, off) for on, off in times.get(after[0], ()) if on > off_a - tol]
                if not nexts:
                    continue
                end = min(nexts)[1]
                protected.append((self.written_onset(on_a), end))
                if marks.ratio is None or pair.mark not in (">", "<") or end <= off_a:
                    continue
                n, m = marks.ratio
                if pair.mark == ">":
                    length = 2.0 * (end - off_a)  # b is half a unit: a>b = a3/2 b/2
                    boundary = end - 2.0 * length + 2.0 * length * n / (n + m)
                else:
                    length = (end - off_a) / 1.5
                    boundary = end - 2.0 * length + 2.0 * length * m / (n + m)
                start = end - 2.0 * length
                if start < off_a < end and not _overlaps(start, end, taken, tol):
                    segments.append(((start, off_a, end), (start, boundary, end)))
                    taken.append((start, end))
        return segments, protected


def bar_grid(performance: Performance, marks: TuneMarks) -> MetricGrid | None:
    """The bars of the performance from the tune's bar lines (None: no meter or no bars)."""
    if performance.meter is None or not marks.bars or performance.bpm <= 0:
        return None
    count, unit = performance.meter
    if count <= 0 or unit <= 0:
        return None
    ids = _ids_at(performance)
    ons: dict[str, list[float]] = {}
    for t in performance.timemap:
        ons.setdefault(t.id, []).append(t.on_ms)
    first_of: dict[float, tuple[bool, bool]] = {}
    for mark in marks.bars:
        for eid in ids.get(mark.position, ())[:1]:
            for on in ons.get(eid, ()):
                first_of.setdefault(round(on, 3), (mark.closes_section, mark.first_in_tune))
    starts = sorted(first_of)
    if not starts:
        return None
    full = count * 4.0 / unit * 60000.0 / performance.bpm
    tol = _TOL_Q * 60000.0 / performance.bpm
    bars: list[_Bar] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else performance.duration_ms
        closes_section, first_in_tune = first_of[start]
        pickup = end - start < full - tol and (first_in_tune or not closes_section)
        bars.append(_Bar(start, end, end - full if pickup else start))
    return MetricGrid(performance, bars)


def _ids_at(performance: Performance) -> dict[tuple[int, int], list[str]]:
    ids: dict[tuple[int, int], list[str]] = {}
    for eid, position in performance.positions.items():
        ids.setdefault((int(position[0]), int(position[1])), []).append(eid)
    return ids


def _near(value: float, target: float, tol: float = _TOL_Q) -> bool:
    return abs(value - target) <= tol


def _overlaps(a: float, b: float, spans: list[tuple[float, float]], tol: float) -> bool:
    return any(start < b - tol and end > a + tol for start, end in spans)
