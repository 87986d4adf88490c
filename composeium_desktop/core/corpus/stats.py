"""Corpus statistics as a plain-text report (``composeium corpus --stats``)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence

from composeium_desktop.core.corpus.genres import GENRES
from composeium_desktop.core.corpus.loading import CorpusReport
from composeium_desktop.core.corpus.records import SPLITS, TuneRecord


def _count_table(title: str, counts: Counter[str], order: Sequence[str] = ()) -> list[str]:
    total = sum(counts.values())
    keys = [k for k in order if counts.get(k)] + sorted(
        (k for k in counts if k not in order), key=lambda k: (-counts[k], k)
    )
    width = max([len(title), *(len(k) for k in keys)])
    lines = [f"{title:<{width}}  {'tunes':>6}  {'share':>6}"]
    for key in keys:
        share = 100.0 * counts[key] / total if total else 0.0
        lines.append(f"{key:<{width}}  {counts[key]:>6}  {share:>5.1f}%")
    lines.append(f"{'total':<{width}}  {total:>6}")
    return lines


def _split_table(records: Sequence[TuneRecord]) -> list[str]:
    by_collection: dict[str, Counter[str]] = {}
    for record in records:
        by_collection.setdefault(record.collection, Counter())[record.split] += 1
    width = max([len("collection"), *(len(c) for c in by_collection)])
    header = f"{'collection':<{width}}  " + "  ".join(f"{s:>10}" for s in SPLITS)
    lines = [header + f"  {'total':>6}"]
    totals: Counter[str] = Counter()
    for collection, counts in by_collection.items():
        totals.update(counts)
        cells = "  ".join(f"{counts[s]:>10}" for s in SPLITS)
        lines.append(f"{collection:<{width}}  {cells}  {sum(counts.values()):>6}")
    cells = "  ".join(f"{totals[s]:>10}" for s in SPLITS)
    lines.append(f"{'total':<{width}}  {cells}  {sum(totals.values()):>6}")
    return lines


def length_summary(lengths: Sequence[int]) -> str:
    """ "mean M, median D, 95th pct P, max X" of a list of lengths."""
    if not lengths:
        return "no tunes"
    ordered = sorted(lengths)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"mean {statistics.fmean(ordered):.1f}, median {statistics.median(ordered):g}, "
        f"95th pct {p95}, min {ordered[0]}, max {ordered[-1]}"
    )


def format_stats(
    report: CorpusReport,
    encode: Callable[[str], Sequence[int]] | None = None,
    token_source: str = "",
) -> str:
    """The whole report: tunes per collection/split, genre, meter and mode, skips, lengths."""
    records = report.records
    kept = len(records)
    skipped_total = sum(report.skipped.values())
    lines = [
        f"Corpus: {kept} tunes kept from {report.sources} files "
        f"({skipped_total} left out){' [cached]' if report.from_cache else ''}",
        "",
        *_split_table(records),
        "",
        *_count_table("genre", Counter(r.genre for r in records), GENRES),
        "",
        *_count_table("meter", Counter(r.meter for r in records)),
        "",
        *_count_table("mode", Counter(r.mode for r in records)),
        "",
        *_count_table("original tonic", Counter(r.tonic for r in records)),
        "",
    ]
    if report.skipped:
        lines += [*_count_table("left out because", report.skipped), ""]
    lines.append("Body length in characters: " + length_summary([len(r.body) for r in records]))
    if encode is not None:
        tokens = [len(encode(r.body)) for r in records]
        lines.append(f"Body length in tokens ({token_source}): " + length_summary(tokens))
    else:
        lines.append("Body length in tokens: no tokenizer found (build one with --build-tokenizer)")
    return "\n".join(lines) + "\n"
