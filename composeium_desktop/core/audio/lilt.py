"""The lilt: a tune played as a musician plays it, not as it is written.

Applied to the engraver's `Performance` on the one MIDI path (core.audio.midi), so playback,
`composeium play`, the MIDI and the WAV export all hear the same thing:

* **Swing** by genre (the R: field): hornpipes (and barndances, flings, schottisches, set
  dances, clogs) play their pairs of eighths dotted, 2:1 (abc2midi's hornpipe ratio;
  `%%MIDI ratio n m` in a hornpipe sets it, as in abc2midi); reels lightly, 6:5; jigs, slides
  and slip jigs their long-short-medium groups of three (6:4:5). `Lilt.swing` overrides the genre: a percentage,
  0 straight, 50 a 2:1 lilt, 100 fully dotted 3:1 (`parse_swing` also reads "2:1").
  Swing is a time warp inside each beat: bar lines and beats stay where they are, so every bar
  and the whole tune keep their length. Beats whose notes are not plain eighths (triplets,
  runs of sixteenths, written dotted rhythms) are played as written.
* **Broken rhythm** `a>b` / `a<b` is played as written, 3:1 (ABC 2.1), or at `%%MIDI ratio n m`
  (abc2midi: the first note n/(n+m) of the pair); swing never applies on top of it.
* **Accents** as abc2midi's stress models give them: the first beat of the bar strongest, the
  middle of an even bar next (beat 3 of 4/4, the second half of 6/8 and 12/8), the other beats,
  then the notes between beats: 6/8 is strong-weak-weak medium-weak-weak.
* **Rolls** (`~`) as the Irish figure within the written length: the note, an upper-neighbour
  cut, the note, a lower-neighbour tap, the note (three pulses on a dotted crotchet; on shorter
  notes the note, then cut-note and tap-note in its second half). Grace notes `{g}` are played
  by the engraver's timing (short notes taking time from the main note).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass

from composeium_desktop.core.audio.lilt_grid import MetricGrid, bar_grid
from composeium_desktop.core.audio.lilt_marks import TuneMarks, read_marks
from composeium_desktop.core.render import Performance, TimedElement

PLAIN_VELOCITY = 90
GRACE_VELOCITY = 70
ROLL_RETURN_VELOCITY = 80
CUT_QUARTERS = 0.125  # a cut or tap: as long as an engraved grace note
MAX_SWING = 100.0

# Genre (R:, lower case) -> swing percentage; the first name found in the field wins.
GENRE_SWING = (
    ("slip jig", 25.0),
    ("hornpipe", 50.0),
    ("barndance", 50.0),
    ("barn dance", 50.0),
    ("fling", 50.0),
    ("schottische", 50.0),
    ("set dance", 50.0),
    ("clog", 50.0),  # Ryan's Mammoth's clogs are hornpipes
    ("reel", 10.0),
    ("slide", 25.0),
    ("jig", 25.0),
)
# Genres abc2midi swings with its `%%MIDI ratio` (R:hornpipe).
RATIO_GENRES = ("hornpipe", "barndance", "barn dance", "fling", "schottische", "set dance", "clog")
_MAJOR = (0, 2, 4, 5, 7, 9, 11)

Note = tuple[str, float, float, int, int]  # element id, on ms, off ms, MIDI pitch, velocity


@dataclass(frozen=True)
class Lilt:
    """How to play: `swing` a percentage (0 straight ... 100 fully dotted) or None for the
    genre's own; `accents` beat accents as velocities; `ornaments` rolls played out."""

    swing: float | None = None
    accents: bool = True
    ornaments: bool = True

    def __post_init__(self) -> None:
        if self.swing is not None and not 0.0 <= self.swing <= MAX_SWING:
            raise ValueError(f"swing must be 0-100%, not {self.swing:g}")


def swing_ratio(percent: float) -> float:
    """Long:short of a swung pair for a swing percentage (0 -> 1:1, 50 -> 2:1, 100 -> 3:1)."""
    return 1.0 + percent / 50.0


def parse_swing(text: str) -> float | None:
    """A swing setting as typed: "genre" (None), "straight", "50", "50%" or a ratio "2:1"."""
    value = text.strip().lower()
    if value in ("genre", "auto", "default"):
        return None
    if value in ("straight", "off", "none"):
        return 0.0
    try:
        if ":" in value:
            long, short = (float(part) for part in value.split(":", 1))
            percent = (long / short - 1.0) * 50.0
        else:
            percent = float(value.rstrip("%"))
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"swing {text!r}: give a percentage (0-100), a ratio (2:1) or 'genre'"
        ) from None
    if not math.isfinite(percent) or not -1e-9 <= percent <= MAX_SWING + 1e-9:
        raise ValueError(f"swing {text!r}: from 0% (straight, 1:1) to 100% (3:1)")
    return min(MAX_SWING, max(0.0, percent))


def genre_swing(genre: str) -> float:
    """The swing percentage a genre is played with (0 for airs, marches, waltzes, polkas)."""
    for name, percent in GENRE_SWING:
        if name in genre:
            return percent
    return 0.0


def tune_swing_ratio(lilt: Lilt, marks: TuneMarks) -> float:
    """The long:short ratio the tune's beats are swung at."""
    if lilt.swing is not None:
        return swing_ratio(lilt.swing)
    if marks.ratio and any(name in marks.genre for name in RATIO_GENRES):
        return marks.ratio[0] / marks.ratio[1]
    return swing_ratio(genre_swing(marks.genre))


class TimeWarp:
    """A monotonic, piecewise-linear map of performance times; identity outside its segments."""

    def __init__(
        self, segments: Iterable[tuple[tuple[float, ...], tuple[float, ...]]] = ()
    ) -> None:
        self._segments = sorted(segments)
        self._starts = [xs[0] for xs, _ in self._segments]

    def __call__(self, t: float) -> float:
        index = bisect.bisect_right(self._starts, t) - 1
        if index < 0:
            return t
        xs, ys = self._segments[index]
        if t >= xs[-1]:
            return t
        k = bisect.bisect_right(xs, t) - 1
        return ys[k] + (t - xs[k]) * (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])

    def __len__(self) -> int:
        return len(self._segments)


@dataclass(frozen=True)
class Played:
    """A performance with its lilt: the melody's notes, the timemap, the warp that moved them
    (for the band's notes) and the swing ratio used (1.0 straight); times as in the input."""

    notes: tuple[Note, ...]
    timemap: tuple[TimedElement, ...]
    warp: TimeWarp
    swing_ratio: float


def play(performance: Performance, abc: str, lilt: Lilt | None = None) -> Played:
    """The performance of the tune `abc` with its lilt (with no text: plain, as written)."""
    lilt = lilt or Lilt()
    marks = read_marks(abc) if abc else TuneMarks()
    ratio = tune_swing_ratio(lilt, marks)
    grid = bar_grid(performance, marks)
    warp = TimeWarp(grid.warp_segments(ratio, marks) if grid else [])
    notes: list[Note] = []
    rolled = _rolled_ids(performance, marks) if lilt.ornaments else set()
    for eid, on, off, pitch, grace in performance.notes:
        velocity = _velocity(grid, on, grace, lilt.accents)
        if eid in rolled and not grace:
            notes.extend(_roll(eid, on, off, pitch, velocity, performance, warp))
        else:
            notes.append((eid, warp(on), warp(off), pitch, velocity))
    timemap = tuple(TimedElement(t.id, warp(t.on_ms), warp(t.off_ms)) for t in performance.timemap)
    return Played(tuple(notes), timemap, warp, ratio if len(warp) else 1.0)


def _velocity(grid: MetricGrid | None, on: float, grace: bool, accents: bool) -> int:
    if grace:
        return GRACE_VELOCITY
    if grid is None or not accents:
        return PLAIN_VELOCITY
    return grid.velocity(on)


def _rolled_ids(performance: Performance, marks: TuneMarks) -> set[str]:
    wanted = set(marks.rolls)
    return {eid for eid, position in performance.positions.items() if position in wanted}


def _roll(
    eid: str,
    on: float,
    off: float,
    pitch: int,
    velocity: int,
    performance: Performance,
    warp: TimeWarp,
) -> list[Note]:
    """Note, cut (upper neighbour), note, tap (lower neighbour), note, within [on, off]."""
    length = off - on
    eighth = 30000.0 / performance.bpm
    if abs(length / eighth - 3.0) < 0.1:
        first, second = on + length / 3.0, on + 2.0 * length / 3.0
    else:
        first, second = on + length / 2.0, on + 3.0 * length / 4.0
    grace = min(CUT_QUARTERS * 2.0 * eighth, (second - first) / 2.0)
    upper, lower = _neighbours(pitch, performance.key[0])
    times = [on, first, first + grace, second, second + grace, off]
    on, first, cut_end, second, tap_end, off = (warp(t) for t in times)
    return [
        (eid, on, first, pitch, velocity),
        (eid, first, cut_end, upper, GRACE_VELOCITY),
        (eid, cut_end, second, pitch, ROLL_RETURN_VELOCITY),
        (eid, second, tap_end, lower, GRACE_VELOCITY),
        (eid, tap_end, off, pitch, ROLL_RETURN_VELOCITY),
    ]


def _neighbours(pitch: int, sharps: int) -> tuple[int, int]:
    """The scale notes above and below `pitch` in the key signature with `sharps`."""
    scale = {(step + 7 * int(sharps)) % 12 for step in _MAJOR}
    upper = next(p for p in range(pitch + 1, pitch + 13) if p % 12 in scale)
    lower = next(p for p in range(pitch - 1, pitch - 13, -1) if p % 12 in scale)
    return min(127, upper), max(0, lower)
