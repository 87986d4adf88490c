"""How long tunes are, in bars: the corpus's lengths per meter and genre, and drawing one.

The decoder is told how many bars the tune should have (``metric_features`` ``to_go``). A user
may ask for a length; otherwise the generator draws one from the lengths of the training tunes
of the same meter and genre (falling back to the meter alone, then to every tune, when fewer
than ``MIN_TUNES`` match), so a reel comes out as long as reels in 4/4 are. Training writes the
table beside the model as ``lengths.json``; a model folder without one gets no length.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core import fileio
from composeium_desktop.core.features.metric import MAX_BARS, MIN_BARS

LENGTHS_FILE = "lengths.json"
MIN_TUNES = 20


def _key(meter: str, genre: str) -> str:
    return f"{meter} {genre}"


class LengthTable:
    """Counts of tune lengths (bars) per meter and genre."""

    def __init__(self, counts: Mapping[str, Mapping[int, int]]) -> None:
        self.counts = {k: {int(b): int(n) for b, n in v.items()} for k, v in counts.items()}

    @classmethod
    def from_lengths(cls, rows: Iterable[tuple[str, str, int | None]]) -> LengthTable:
        """From (meter, genre, bars) rows; rows without a length are left out."""
        counts: dict[str, Counter[int]] = {}
        for meter, genre, bars in rows:
            if bars is not None and bars >= MIN_BARS:
                counts.setdefault(_key(meter, genre), Counter())[min(bars, MAX_BARS)] += 1
        return cls(counts)

    def save(self, path: Path) -> None:
        data = {
            k: {str(b): n for b, n in sorted(v.items())} for k, v in sorted(self.counts.items())
        }
        fileio.write_text(path, json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> LengthTable:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def load_beside(cls, model_dir: Path) -> LengthTable | None:
        """The table in a model folder, or None when it has none."""
        path = Path(model_dir) / LENGTHS_FILE
        return cls.load(path) if path.is_file() else None

    def choices(self, meter: str, genre: str) -> Counter[int]:
        """The lengths a request in this meter and genre is drawn from, with their counts."""
        same, in_meter = _key(meter, genre), f"{meter} "
        pool: Counter[int] = Counter()
        for matches in (lambda k: k == same, lambda k: k.startswith(in_meter), lambda k: True):
            pool = Counter()
            for key, counts in self.counts.items():
                if matches(key):
                    pool.update(counts)
            if sum(pool.values()) >= MIN_TUNES:
                break
        return pool

    def draw(self, meter: str, genre: str, rng: np.random.Generator) -> int | None:
        """A length drawn in proportion to the corpus's counts (None for an empty table)."""
        options = self.choices(meter, genre)
        if not options:
            return None
        bars = np.asarray(sorted(options), dtype=np.int64)
        weights = np.asarray([options[b] for b in bars], dtype=np.float64)
        return int(rng.choice(bars, p=weights / weights.sum()))


def lengths_of_records(records: Iterable[Any]) -> LengthTable:
    """The table of these corpus records (bars as the decoder's ``to_go`` feature counts them)."""
    from composeium_desktop.core.features.metric import body_bars

    return LengthTable.from_lengths((r.meter, r.genre, body_bars(r.body, r.meter)) for r in records)
