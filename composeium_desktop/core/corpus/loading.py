"""Load the whole corpus: read every source file, deduplicate, and cache the result.

Lexing and transposing ~13,000 tunes takes a while, so the finished corpus is cached as JSONL
in ``paths.user_data_dir()/corpus-cache-<key>.jsonl``. The key hashes the music21 version, the
list of source files with their sizes, ``CODE_VERSION`` and the source text of the corpus and
notation packages, so a change to any of them rebuilds the cache instead of reading a stale one.
The first line of the file is a header (skip counts), each further line one TuneRecord. Only
the newest few cache files are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composeium_desktop import paths
from composeium_desktop.core import fileio
from composeium_desktop.core.corpus.records import TuneRecord, records_and_skips
from composeium_desktop.core.corpus.sources import SourceFile, all_sources, music21_version

CODE_VERSION = 1
DUPLICATE_REASON = "duplicate body"
_WORKERS = 2
_PARALLEL_MIN_FILES = 8
_KEEP_CACHES = 4


@dataclass
class CorpusReport:
    """The deduplicated records in a deterministic order, and why the other tunes were left out."""

    records: list[TuneRecord]
    skipped: Counter[str] = field(default_factory=Counter)
    sources: int = 0
    from_cache: bool = False


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    core = Path(__file__).resolve().parent.parent
    for package in ("corpus", "abcnotation"):
        for source in sorted((core / package).rglob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def cache_key(sources: Sequence[SourceFile], include_music21: bool) -> str:
    """The hash that names the cache file for this set of sources and this code."""
    parts = {
        "code_version": CODE_VERSION,
        "code": _code_fingerprint(),
        "music21": music21_version() if include_music21 else None,
        "files": [[str(s.path.resolve()), s.collection, s.path.stat().st_size] for s in sources],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _read_source(source: SourceFile) -> tuple[list[TuneRecord], Counter[str]]:
    text = source.path.read_text(encoding="utf-8", errors="replace")
    return records_and_skips(text, source.collection)


def _read_all(sources: Sequence[SourceFile]) -> list[tuple[list[TuneRecord], Counter[str]]]:
    if len(sources) < _PARALLEL_MIN_FILES:
        return [_read_source(s) for s in sources]
    # Pool.map keeps the input order, so the result does not depend on scheduling.
    with multiprocessing.get_context("spawn").Pool(_WORKERS) as pool:
        return pool.map(_read_source, sources, chunksize=4)


def deduplicate(records: Sequence[TuneRecord]) -> tuple[list[TuneRecord], int]:
    """The records with the first of each identical body kept, and how many were dropped."""
    seen: set[str] = set()
    kept = []
    for record in records:
        if record.body not in seen:
            seen.add(record.body)
            kept.append(record)
    return kept, len(records) - len(kept)


def build_corpus(sources: Sequence[SourceFile]) -> CorpusReport:
    """Read, normalise and deduplicate these sources (no cache)."""
    records: list[TuneRecord] = []
    skipped: Counter[str] = Counter()
    for file_records, file_skipped in _read_all(sources):
        records.extend(file_records)
        skipped.update(file_skipped)
    records, duplicates = deduplicate(records)
    if duplicates:
        skipped[DUPLICATE_REASON] = duplicates
    return CorpusReport(records=records, skipped=skipped, sources=len(sources))


def _write_cache(path: Path, report: CorpusReport) -> None:
    header: dict[str, Any] = {
        "kind": "composeium-corpus",
        "skipped": dict(report.skipped),
        "sources": report.sources,
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(dataclasses.asdict(r), ensure_ascii=False) for r in report.records]
    fileio.write_text(path, "\n".join(lines) + "\n")
    # Old caches (other code versions or file sets) are dropped, the newest few kept.
    caches = sorted(path.parent.glob("corpus-cache-*.jsonl"), key=lambda p: p.stat().st_mtime)
    for old in caches[:-_KEEP_CACHES]:
        old.unlink(missing_ok=True)


def _read_cache(path: Path) -> CorpusReport | None:
    try:
        with path.open(encoding="utf-8") as cached:
            header = json.loads(next(cached))
            records = [TuneRecord(**json.loads(line)) for line in cached]
    except (OSError, ValueError, TypeError, StopIteration):
        return None
    if header.get("kind") != "composeium-corpus":
        return None
    return CorpusReport(
        records=records,
        skipped=Counter(header.get("skipped", {})),
        sources=int(header.get("sources", 0)),
        from_cache=True,
    )


def load_corpus_report(
    extra_paths: Sequence[Path] = (), include_music21: bool = True, use_cache: bool = True
) -> CorpusReport:
    """The corpus with its skip counts, from the cache when it is current."""
    sources = all_sources(extra_paths, include_music21)
    cache = paths.user_data_dir() / f"corpus-cache-{cache_key(sources, include_music21)}.jsonl"
    if use_cache and cache.is_file():
        report = _read_cache(cache)
        if report is not None:
            return report
    report = build_corpus(sources)
    if use_cache:
        _write_cache(cache, report)
    return report


def load_corpus(
    extra_paths: Sequence[Path] = (), include_music21: bool = True, use_cache: bool = True
) -> list[TuneRecord]:
    """Every usable, deduplicated tune of music21's folk collections plus the user's ABC files,
    in a deterministic order (collection order, then file name, then position in the file)."""
    return load_corpus_report(extra_paths, include_music21, use_cache).records
