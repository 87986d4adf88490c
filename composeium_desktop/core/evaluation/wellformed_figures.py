"""Well-formedness figures of generated tunes and of the corpus, side by side: how often a tie
joins two pitches, a dance tune has a bar of rests, a note value is outside its genre's range,
a pitch is outside the mode beyond what the corpus uses, a bar is repeated more than the
corpus's tunes repeat one, and the share of tunes with any of these; each with its 95%
bootstrap interval (whole tunes resampled). The rules are the corpus's own
(``corpus.wellformed``), read by the notation core (``abcnotation.wellformed``), so the corpus
itself breaks them only in its rarest tunes: that is the rate a generated tune is held to."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from composeium_desktop.core.abcnotation import TRAIN_UNIT, ABCError, key_name
from composeium_desktop.core.abcnotation.wellformed import Violations, check_tune
from composeium_desktop.core.corpus.wellformed import WellFormedTable

BOOTSTRAP_RESAMPLES = 2000
# figure -> (numerator, denominator) of each tune; a denominator None counts tunes.
_FIGURES = {
    "tie_rate": ("tie_mismatches", "notes"),
    "rest_bar_rate": ("rest_bars", "bars"),
    "out_of_range_rate": ("out_of_range", "notes"),
    "foreign_rate": ("foreign", "notes"),
    "repeat_rate": ("repeats", None),
    "violation_rate": ("any", None),
}


def tune_violations(
    body: str,
    meter: str,
    unit: str | Fraction | None,
    key: str,
    genre: str,
    table: WellFormedTable,
) -> Violations | None:
    """How one tune breaks its genre's rules (None when the notation core cannot read it)."""
    try:
        return check_tune(body, meter, unit, key, table.rules(meter, genre))
    except (ABCError, ValueError):
        return None


def _columns(per_tune: Sequence[Violations]) -> dict[str, np.ndarray]:
    def column(values: list[int]) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)

    return {
        "tie_mismatches": column([v.tie_mismatches for v in per_tune]),
        "rest_bars": column([v.rest_bars for v in per_tune]),
        "out_of_range": column([v.out_of_range for v in per_tune]),
        "foreign": column([v.foreign for v in per_tune]),
        "repeats": column([bool(v.run_excess or v.count_excess) for v in per_tune]),
        "any": column([v.total > 0 for v in per_tune]),
        "notes": column([v.notes for v in per_tune]),
        "bars": column([v.bars for v in per_tune]),
    }


def wellformed_rates(
    per_tune: Sequence[Violations], prefix: str = "wf_", seed: int = 0
) -> dict[str, Any]:
    """The rates of ``_FIGURES`` over these tunes, each with a ``_ci95`` interval."""
    if not per_tune:
        return {}
    columns = _columns(per_tune)
    count = len(per_tune)
    picks = np.random.default_rng(seed).integers(0, count, size=(BOOTSTRAP_RESAMPLES, count))
    figures: dict[str, Any] = {f"{prefix}tunes": count}
    for name, (top, bottom) in _FIGURES.items():
        numerator = columns[top]
        denominator = np.ones(count) if bottom is None else columns[bottom]
        figures[prefix + name] = float(numerator.sum() / max(denominator.sum(), 1.0))
        resampled = numerator[picks].sum(axis=1) / np.maximum(denominator[picks].sum(axis=1), 1)
        figures[prefix + name + "_ci95"] = [
            float(np.percentile(resampled, 2.5)),
            float(np.percentile(resampled, 97.5)),
        ]
    return figures


def corpus_wellformed(records: Sequence[Any], table: WellFormedTable) -> dict[str, Any]:
    """The corpus's own rates (``corpus_wf_*``) on these records (bodies in C, unit 1/8)."""
    per_tune = []
    for record in records:
        key = key_name("C", record.mode)
        found = tune_violations(record.body, record.meter, TRAIN_UNIT, key, record.genre, table)
        if found is not None:
            per_tune.append(found)
    return wellformed_rates(per_tune, prefix="corpus_wf_")
