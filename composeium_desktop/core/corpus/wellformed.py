"""The corpus's own measure of a well-formed tune, per meter and genre: which note values its
tunes use, which pitches outside the mode, how often they write one bar again, and whether a
bar of rests belongs in them.

``WellFormedTable`` keeps the counts (``abcnotation.wellformed.read_facts`` of every training
tune, summed per "meter genre" and per mode) and derives ``WellFormedRules`` from them:

* note values: the shortest and longest written values left once the rarest
  ``LENGTH_TAIL`` of the notes at each end are set aside;
* pitches outside the mode's scale: those that make at least ``ALTERATION_SHARE`` of the notes
  of the corpus's tunes in that mode (the raised seventh of minor; nothing in dorian or
  mixolydian);
* repeats: one bar written in a row, and in all, no more often than ``REPEAT_QUANTILE`` of the
  tunes do;
* a bar of rests: never in a dance tune (``DANCE_GENRES``).

A genre with fewer than ``MIN_TUNES`` tunes in a meter borrows the counts of the nearest family
of the same meter and feel (``FAMILIES``: a polka those of 2/4 reels, a waltz those of 3/4 airs),
then of the meter's tunes together; ``borrowed_from`` says whose, so the app can say so.
Training writes the table beside the model as ``wellformed.json``
(``composeium corpus --wellformed DIR`` writes it for a model folder).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from composeium_desktop.core import fileio
from composeium_desktop.core.abcnotation import TRAIN_UNIT, ABCError, key_name
from composeium_desktop.core.abcnotation.wellformed import (
    TuneFacts,
    WellFormedRules,
    read_facts,
    scale_pitch_classes,
)
from composeium_desktop.core.corpus.genres import DANCE_GENRES

WELLFORMED_FILE = "wellformed.json"
MIN_TUNES = 20
LENGTH_TAIL = 0.005
ALTERATION_SHARE = 0.015
REPEAT_QUANTILE = 0.99
# The genres whose tunes share a genre's meter and feel, nearest first.
FAMILIES: dict[str, tuple[str, ...]] = {
    "polka": ("reel", "hornpipe", "march"),
    "waltz": ("air", "other", "song"),
    "strathspey": ("reel", "hornpipe"),
    "hornpipe": ("reel", "march"),
    "reel": ("hornpipe", "march"),
    "march": ("reel", "hornpipe", "jig"),
    "jig": ("march", "air"),
    "slip jig": ("jig", "air"),
    "air": ("song",),
    "song": ("air",),
    "other": ("air", "song"),
}


def _key(meter: str, genre: str) -> str:
    return f"{meter} {genre}"


@dataclass
class _Counts:
    """The summed facts of one meter and genre's tunes."""

    tunes: int
    lengths: Counter[Fraction]
    runs: Counter[int]
    counts: Counter[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "tunes": self.tunes,
            "lengths": {str(k): n for k, n in sorted(self.lengths.items())},
            "runs": {str(k): n for k, n in sorted(self.runs.items())},
            "counts": {str(k): n for k, n in sorted(self.counts.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Counts:
        return cls(
            int(data["tunes"]),
            Counter({Fraction(k): int(n) for k, n in data["lengths"].items()}),
            Counter({int(k): int(n) for k, n in data["runs"].items()}),
            Counter({int(k): int(n) for k, n in data["counts"].items()}),
        )

    def add(self, facts: TuneFacts) -> None:
        self.tunes += 1
        self.lengths.update(facts.lengths)
        self.runs[facts.max_run] += 1
        self.counts[facts.max_count] += 1

    def merged(self, other: _Counts) -> _Counts:
        return _Counts(
            self.tunes + other.tunes,
            self.lengths + other.lengths,
            self.runs + other.runs,
            self.counts + other.counts,
        )


def _empty() -> _Counts:
    return _Counts(0, Counter(), Counter(), Counter())


def _tail_bounds(lengths: Counter[Fraction]) -> tuple[Fraction | None, Fraction | None]:
    """The shortest and longest values once LENGTH_TAIL of the notes at each end are left out."""
    total = sum(lengths.values())
    if not total:
        return None, None
    ordered = sorted(lengths)

    def bound(values: list[Fraction]) -> Fraction:
        seen = 0
        for value in values:
            seen += lengths[value]
            if seen > LENGTH_TAIL * total:
                return value
        return values[-1]

    return bound(ordered), bound(ordered[::-1])


def _quantile(counts: Counter[int], share: float) -> int | None:
    total = sum(counts.values())
    if not total:
        return None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= math.ceil(share * total):
            return value
    return max(counts)


class WellFormedTable:
    """The corpus's counts per meter and genre and per mode; ``rules`` derives the rules."""

    def __init__(self, groups: Mapping[str, _Counts], modes: Mapping[str, Counter[int]]) -> None:
        self.groups = dict(groups)
        self.modes = {mode: Counter(pcs) for mode, pcs in modes.items()}

    @classmethod
    def from_facts(cls, rows: Iterable[tuple[str, str, TuneFacts]]) -> WellFormedTable:
        """From (meter, genre, facts) rows."""
        groups: dict[str, _Counts] = {}
        modes: dict[str, Counter[int]] = {}
        for meter, genre, facts in rows:
            groups.setdefault(_key(meter, genre), _empty()).add(facts)
            modes.setdefault(facts.mode, Counter()).update(facts.pitch_classes)
        return cls(groups, modes)

    def save(self, path: Path) -> None:
        data = {
            "groups": {k: v.to_json() for k, v in sorted(self.groups.items())},
            "modes": {
                m: {str(pc): n for pc, n in sorted(c.items())} for m, c in self.modes.items()
            },
        }
        fileio.write_text(path, json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> WellFormedTable:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        groups = {k: _Counts.from_json(v) for k, v in data["groups"].items()}
        modes = {
            m: Counter({int(pc): int(n) for pc, n in c.items()}) for m, c in data["modes"].items()
        }
        return cls(groups, modes)

    @classmethod
    def load_beside(cls, model_dir: Path) -> WellFormedTable | None:
        """The table in a model folder, or None when it has none."""
        path = Path(model_dir) / WELLFORMED_FILE
        return cls.load(path) if path.is_file() else None

    def _whose(self, meter: str, genre: str) -> str:
        """Whose counts a genre in a meter is held to (see ``source``), without summing them."""
        own = self.groups.get(_key(meter, genre))
        if own is not None and own.tunes >= MIN_TUNES:
            return _key(meter, genre)
        for relative in FAMILIES.get(genre, ()):
            counts = self.groups.get(_key(meter, relative))
            if counts is not None and counts.tunes >= MIN_TUNES:
                return _key(meter, relative)
        pooled = sum(c.tunes for key, c in self.groups.items() if key.startswith(f"{meter} "))
        return f"{meter} (all genres)" if pooled >= MIN_TUNES else "all tunes"

    def source(self, meter: str, genre: str) -> tuple[str, _Counts]:
        """(whose counts, the counts) a genre in a meter is held to: its own, its family's in
        the same meter, the meter's, or every tune's (see the module docstring)."""
        whose = self._whose(meter, genre)
        if whose in self.groups:
            return whose, self.groups[whose]
        pooled = _empty()
        for key, counts in self.groups.items():
            if whose == "all tunes" or key.startswith(f"{meter} "):
                pooled = pooled.merged(counts)
        return whose, pooled

    def borrowed_from(self, meter: str, genre: str) -> str | None:
        """Whose rules a genre with too few tunes in this meter borrows ("reel in 2/4"), or
        None when it has enough of its own."""
        whose = self._whose(meter, genre)
        if whose == _key(meter, genre):
            return None
        meter_part, _, other = whose.partition(" ")
        if whose == "all tunes":
            return whose
        return f"{other} in {meter_part}"

    def alterations(self) -> dict[str, frozenset[int]]:
        """Per mode, the pitch classes outside its scale its tunes use often enough."""
        out: dict[str, frozenset[int]] = {}
        for mode, pcs in self.modes.items():
            total = sum(pcs.values())
            allowed = scale_pitch_classes(mode)
            out[mode] = frozenset(
                pc for pc, n in pcs.items() if pc not in allowed and n >= ALTERATION_SHARE * total
            )
        return out

    def rules(self, meter: str, genre: str) -> WellFormedRules:
        """The rules a tune of this genre and meter is held to."""
        _, counts = self.source(meter, genre)
        shortest, longest = _tail_bounds(counts.lengths)
        return WellFormedRules(
            shortest=shortest,
            longest=longest,
            rest_bars=genre.lower() not in DANCE_GENRES,
            alterations=self.alterations(),
            max_run=_quantile(counts.runs, REPEAT_QUANTILE),
            max_count=_quantile(counts.counts, REPEAT_QUANTILE),
        )


def record_facts(record: Any) -> TuneFacts | None:
    """The facts of one corpus record (body in C of its mode, unit 1/8); None if unreadable."""
    try:
        return read_facts(record.body, record.meter, TRAIN_UNIT, key_name("C", record.mode))
    except (ABCError, ValueError):
        return None


def wellformed_of_records(records: Iterable[Any]) -> WellFormedTable:
    """The table of these corpus records."""
    rows = []
    for record in records:
        facts = record_facts(record)
        if facts is not None:
            rows.append((record.meter, record.genre, facts))
    return WellFormedTable.from_facts(rows)
