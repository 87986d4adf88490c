"""`composeium corpus`: corpus statistics, building the shipped tokenizer and corpus index."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "corpus"
HELP = (
    "Show training-corpus statistics (--stats), build the tokenizer (--build-tokenizer) or the "
    "index of tunes new ones are compared with (--build-index)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stats",
        action="store_true",
        help="print tunes per collection, genre, meter and mode, lengths and splits (default)",
    )
    parser.add_argument(
        "--corpus",
        metavar="PATH",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        help="extra ABC files or folders to include",
    )
    parser.add_argument(
        "--no-music21", action="store_true", help="leave out music21's bundled collections"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="rebuild the corpus instead of reading the cache"
    )
    parser.add_argument(
        "--tokenizer",
        metavar="DIR",
        type=Path,
        default=None,
        help="tokenizer used for token counts (default: the shipped model's)",
    )
    parser.add_argument(
        "--build-tokenizer",
        metavar="DIR",
        type=Path,
        default=None,
        help="train the body and metadata tokenizers on the training split into DIR "
        "(the shipped one is model/tokenizer)",
    )
    parser.add_argument(
        "--build-index",
        metavar="DIR",
        type=Path,
        default=None,
        help="write the corpus index the app compares new tunes with (nearest corpus tune) to "
        "DIR/corpus_index.npz (the shipped one is in model/)",
    )
    parser.add_argument(
        "--wellformed",
        metavar="DIR",
        type=Path,
        default=None,
        help="write the training split's measure of a well-formed tune (note values, pitches "
        "outside the mode, repeated bars per genre and meter) to DIR/wellformed.json "
        "(training writes it beside every model)",
    )
    parser.add_argument("--vocab-size", type=int, default=1000, help="body vocabulary size")
    parser.add_argument("--title-vocab-size", type=int, default=600, help="title vocabulary size")


def run(args: argparse.Namespace) -> int:
    from composeium_desktop import paths
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.corpus import load_corpus_report
    from composeium_desktop.core.corpus.stats import format_stats
    from composeium_desktop.core.tokenizer import ABCTokenizer, train_tokenizers

    if args.no_music21 and not args.corpus:
        raise UsageError("--no-music21 needs at least one --corpus PATH")
    if args.vocab_size < 64 or args.title_vocab_size < 16:
        raise UsageError("vocabulary sizes must be at least 64 (body) and 16 (title)")
    try:
        report = load_corpus_report(
            args.corpus, include_music21=not args.no_music21, use_cache=not args.no_cache
        )
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    if not report.records:
        raise UsageError("the corpus has no usable tunes")

    tokenizer = None
    source = ""
    if args.build_tokenizer is not None:
        tokenizer, _ = train_tokenizers(
            report.records, args.build_tokenizer, args.vocab_size, args.title_vocab_size
        )
        source = str(args.build_tokenizer)
        print(f"tokenizer written to {args.build_tokenizer} (vocabulary {tokenizer.vocab_size})")
    if args.build_index is not None:
        _build_index(report.records, args.build_index)
    if args.wellformed is not None:
        _write_wellformed(report.records, args.wellformed)
    built = (args.build_tokenizer, args.build_index, args.wellformed)
    if args.stats or all(path is None for path in built):
        if tokenizer is None:
            folder = args.tokenizer or paths.model_dir()
            try:
                tokenizer = ABCTokenizer.load(folder)
                source = str(folder)
            except FileNotFoundError:
                if args.tokenizer is not None:
                    raise UsageError(f"no tokenizer in {args.tokenizer}") from None
        print(format_stats(report, tokenizer.encode if tokenizer else None, source), end="")
    return 0


def _build_index(records: list, folder: Path) -> None:
    import time

    from composeium_desktop.core.evaluation.originality import (
        INDEX_FILE,
        CorpusIndex,
        held_out_similarities,
        similarity_summary,
    )

    start = time.perf_counter()
    index = CorpusIndex.build(records)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / INDEX_FILE
    index.save(path)
    size = path.stat().st_size / 1e6
    seconds = time.perf_counter() - start
    print(f"corpus index of {len(index)} tunes written to {path} ({size:.2f} MB, {seconds:.0f} s)")
    print(similarity_summary(held_out_similarities(index)))


def _write_wellformed(records: list, folder: Path) -> None:
    from composeium_desktop.core.corpus.wellformed import WELLFORMED_FILE, wellformed_of_records

    table = wellformed_of_records(r for r in records if r.split == "train")
    folder.mkdir(parents=True, exist_ok=True)
    table.save(folder / WELLFORMED_FILE)
    tunes = sum(counts.tunes for counts in table.groups.values())
    print(f"well-formedness table of {tunes} training tunes written to {folder / WELLFORMED_FILE}")
