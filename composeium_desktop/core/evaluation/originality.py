"""How close a tune is to the corpus it was learned from: its nearest corpus tune.

A tune is compared by what it sounds, whatever the key or spelling: the notation core reads its
notes (``form.read_bars``), and each sounding note becomes a token (interval from the note before
in semitones, its own duration), so a transposed copy has the same tokens. A ``CorpusIndex``
holds every corpus tune's tokens with its title, collection and split; it is written once by
``composeium corpus --build-index DIR`` (the shipped model folder has ``corpus_index.npz``) and
read by the app on a worker thread. A query finds candidates by the 4-token sequences they share
(an inverted index, one NumPy search), then rates the best few with ``form.similarity`` (the
share of notes two sequences have in common, in order): 1 for a copy, about 0.3 for tunes that
merely share the idiom's common figures.

``NEAR_COPY`` is the similarity from which the app warns, chosen from the corpus itself
(``held_out_similarities``, printed by ``composeium corpus --build-index``; docs/originality.md):
held-out tunes' nearest training tunes fall in two groups, a bulk around 0.4 (tunes sharing
the idiom) and other editions of the same tune near 1, with the fewest between 0.7 and 0.85.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

INDEX_FILE = "corpus_index.npz"
NEAR_COPY = 0.8
GRAM = 4
CANDIDATES = 8
# A token packs (interval + 64) * 256 + duration in 1/96 of a whole note, each clipped.
_DURATION_STEPS = 96
_MAX_INTERVAL = 63


@dataclass(frozen=True)
class NearestTune:
    """The corpus tune most like a query: similarity 0..1 (1: the same notes)."""

    title: str
    collection: str
    similarity: float
    split: str = ""
    index: int = -1

    @property
    def near_copy(self) -> bool:
        return self.similarity >= NEAR_COPY

    def describe(self) -> str:
        return f"{self.title} ({self.collection}), similarity {self.similarity:.2f}"


def note_tokens(notes: Iterable[tuple[int, Fraction]]) -> np.ndarray:
    """The tokens of sounding notes (rests left out): interval from the previous note (0 for
    the first) and duration, packed in one int16 each."""
    out: list[int] = []
    previous: int | None = None
    for pitch, length in notes:
        if pitch < 0:
            continue
        step = 0 if previous is None else pitch - previous
        step = max(-_MAX_INTERVAL, min(_MAX_INTERVAL, step))
        duration = max(1, min(255, round(length * _DURATION_STEPS)))
        out.append((step + 64) * 256 + duration)
        previous = pitch
    return np.asarray(out, dtype=np.int16)


def body_tokens(body: str, meter: str, unit: str | Fraction | None, key: str) -> np.ndarray:
    """The tokens of a tune body (its bars as written). Raises ABCError."""
    from composeium_desktop.core.abcnotation.form import read_bars

    bars = read_bars(body, meter, unit, key)
    return note_tokens(note for bar in bars for note in bar.notes)


def tune_tokens(abc: str) -> np.ndarray:
    """The tokens of a complete tune (its header says the meter, unit and key)."""
    from composeium_desktop.core.abcnotation import parse_tune

    tune = parse_tune(abc)
    return body_tokens(tune.body, tune.meter, tune.unit, tune.key)


def _grams(tokens: np.ndarray) -> np.ndarray:
    """The distinct 4-token sequences of a tune, each packed in one int64."""
    if len(tokens) < GRAM:
        return np.zeros(0, dtype=np.int64)
    values = tokens.astype(np.int64) & 0xFFFF
    packed = np.zeros(len(tokens) - GRAM + 1, dtype=np.int64)
    for offset in range(GRAM):
        packed = (packed << 16) | values[offset : len(values) - GRAM + 1 + offset]
    return np.unique(packed)


class CorpusIndex:
    """The corpus's tunes as tokens, with their titles, collections and splits."""

    def __init__(
        self,
        tokens: np.ndarray,
        offsets: np.ndarray,
        titles: Sequence[str],
        collections: Sequence[str],
        splits: Sequence[str],
    ) -> None:
        self.tokens = tokens
        self.offsets = offsets
        self.titles = list(titles)
        self.collections = list(collections)
        self.splits = list(splits)
        grams = [_grams(self.tune(i)) for i in range(len(self.titles))]
        self._gram_counts = np.array([len(g) for g in grams], dtype=np.int32)
        owners = np.repeat(np.arange(len(grams), dtype=np.int32), self._gram_counts)
        flat = np.concatenate(grams) if grams else np.zeros(0, dtype=np.int64)
        order = np.argsort(flat, kind="stable")
        self._grams = flat[order]
        self._owners = owners[order]

    def __len__(self) -> int:
        return len(self.titles)

    def tune(self, i: int) -> np.ndarray:
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    @classmethod
    def build(cls, records: Iterable[Any]) -> CorpusIndex:
        """From corpus records (``TuneRecord``: bodies in C of their mode, unit 1/8); tunes
        the notation core cannot read are left out."""
        from composeium_desktop.core.abcnotation import ABCError, key_name

        parts: list[np.ndarray] = []
        titles, collections, splits = [], [], []
        for record in records:
            try:
                tokens = body_tokens(record.body, record.meter, "1/8", key_name("C", record.mode))
            except ABCError:
                continue
            parts.append(tokens)
            titles.append(record.title)
            collections.append(record.collection)
            splits.append(record.split)
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(p) for p in parts])
        flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return cls(flat, offsets, titles, collections, splits)

    def save(self, path: Path) -> None:
        from composeium_desktop.core import fileio

        def write(handle: Any) -> None:
            np.savez_compressed(
                handle,
                tokens=self.tokens,
                offsets=self.offsets,
                titles=np.array(self.titles, dtype=str),
                collections=np.array(self.collections, dtype=str),
                splits=np.array(self.splits, dtype=str),
            )

        fileio.atomic_write(Path(path), write)

    @classmethod
    def load(cls, path: Path) -> CorpusIndex:
        with np.load(Path(path), allow_pickle=False) as data:
            return cls(
                data["tokens"],
                data["offsets"],
                [str(x) for x in data["titles"]],
                [str(x) for x in data["collections"]],
                [str(x) for x in data["splits"]],
            )

    def candidates(self, tokens: np.ndarray, count: int = CANDIDATES) -> list[int]:
        """The tunes sharing the most 4-token sequences with ``tokens`` (by Dice's share)."""
        query = _grams(tokens)
        if not len(query) or not len(self._grams):
            return []
        left = np.searchsorted(self._grams, query, side="left")
        right = np.searchsorted(self._grams, query, side="right")
        hits = right > left
        if not hits.any():
            return []
        spans = [self._owners[a:b] for a, b in zip(left[hits], right[hits], strict=True)]
        shared = np.bincount(np.concatenate(spans), minlength=len(self.titles))
        dice = 2.0 * shared / (len(query) + self._gram_counts)
        best = np.argsort(-dice, kind="stable")[:count]
        return [int(i) for i in best if shared[i] > 0]

    def nearest(
        self, tokens: np.ndarray, exclude: int = -1, splits: Sequence[str] = ()
    ) -> NearestTune | None:
        """The corpus tune most like ``tokens`` (None when none shares a 4-note figure);
        ``exclude`` leaves one tune out, ``splits`` keeps only those splits."""
        from composeium_desktop.core.abcnotation.form import similarity

        pool = CANDIDATES + (1 if exclude >= 0 else 0)
        if splits:
            pool *= 4
        found = [
            i
            for i in self.candidates(tokens, pool)
            if i != exclude and (not splits or self.splits[i] in splits)
        ][:CANDIDATES]
        if not found:
            return None
        mine = _as_notes(tokens)
        rated = [(similarity(mine, _as_notes(self.tune(i))), i) for i in found]
        score, best = max(rated, key=lambda item: (item[0], -item[1]))
        return NearestTune(
            self.titles[best], self.collections[best], score, self.splits[best], best
        )

    def nearest_to_tune(self, abc: str) -> NearestTune | None:
        """The nearest corpus tune to a complete tune's text (chords, provenance and
        other header lines are not what it sounds). Raises ABCError."""
        return self.nearest(tune_tokens(abc))


def _as_notes(tokens: np.ndarray) -> list[tuple[int, Fraction]]:
    """Tokens as ``form.similarity`` compares notes: (interval, duration) pairs."""
    return [(int(t) >> 8, Fraction(int(t) & 0xFF, _DURATION_STEPS)) for t in tokens]


def load_index(model_dir: Path) -> CorpusIndex | None:
    """The index shipped beside a model (None when the folder has none)."""
    path = Path(model_dir) / INDEX_FILE
    return CorpusIndex.load(path) if path.is_file() else None


def held_out_similarities(index: CorpusIndex) -> np.ndarray:
    """Each held-out (validation and test) tune's similarity to its nearest training tune:
    what the near-copy threshold is chosen from (0 where none shares a figure)."""
    out = []
    for i, split in enumerate(index.splits):
        if split == "train":
            continue
        found = index.nearest(index.tune(i), exclude=i, splits=("train",))
        out.append(found.similarity if found is not None else 0.0)
    return np.asarray(out, dtype=np.float64)


def similarity_summary(similarities: np.ndarray) -> str:
    """One line: median, 90th percentile and the share at or above ``NEAR_COPY``."""
    if not len(similarities):
        return "no held-out tunes"
    median, p90 = np.percentile(similarities, [50, 90])
    near = float(np.mean(similarities >= NEAR_COPY))
    return (
        f"{len(similarities)} held-out tunes against the training tunes: nearest similarity "
        f"median {median:.2f}, 90th percentile {p90:.2f}, {near:.1%} at or above the near-copy "
        f"threshold {NEAR_COPY:.2f}"
    )
