"""`composeium harmonise IN.abc [-o OUT.abc] [--style simple|rich] [--replace]`: add chord
symbols to every tune of a tune book, the melody text kept byte for byte.

`composeium harmonise BOOK.abc --score-against` measures instead: every chorded tune of the
book is harmonised with its chords removed and the roots compared with the written chords at
every eighth-note point (and, for scale, those of always playing the tonic chord); a tune
whose key the harmoniser heard otherwise than its K: says (a modal tune under a plain
signature) is marked with the key it heard.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "harmonise"
HELP = "Add chord symbols to the tunes of an ABC file (or score the harmoniser on a chorded book)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", type=Path, metavar="IN.abc", help="ABC file (a tune or a tune book)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="OUT.abc",
        help="where to write the harmonised book (default: standard output)",
    )
    parser.add_argument(
        "--style",
        choices=("simple", "rich"),
        default="simple",
        help="simple: I, IV, V and their modal cousins; rich: adds ii, iii, vi, sevenths, "
        "inversions (default simple)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace the chords of tunes that already have some (default: keep them)",
    )
    parser.add_argument(
        "--score-against",
        action="store_true",
        help="do not write: measure root agreement with the chords IN.abc already has",
    )


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.abcnotation.keys import normalise_key
    from composeium_desktop.core.fileio import NotTextError, read_text, write_bytes
    from composeium_desktop.core.harmony.text import harmonise_book, score_book

    try:
        text = read_text(args.input)
    except (OSError, NotTextError) as exc:
        raise UsageError(str(exc)) from None
    if args.score_against:
        score = score_book(text, args.style)
        if not score.tunes:
            raise UsageError(f"{args.input}: no tune with chord symbols to score against")
        for tune in score.tunes:
            heard = "" if tune.heard == normalise_key(tune.key) else f" (heard as {tune.heard})"
            print(f"{tune.agree / tune.total:6.1%}  {tune.key:6} {tune.title}{heard}")
        points = sum(t.total for t in score.tunes)
        print(
            f"root agreement ({args.style}) at every eighth-note point: {score.agreement:.1%} "
            f"of {points} points in {len(score.tunes)} tunes; always the tonic chord: "
            f"{score.tonic_agreement:.1%}"
        )
        for error in score.errors:
            print(f"not scored: {error}", file=sys.stderr)
        return 0
    result = harmonise_book(text, args.style, args.replace)
    for error in result.errors:
        print(f"composeium harmonise: kept unchanged, {error}", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(result.text)
    else:
        write_bytes(args.output, result.text.encode("utf-8"))
    print(
        f"harmonised {result.harmonised} tune(s), kept the chords of {result.kept}",
        file=sys.stderr,
    )
    return 1 if result.errors and not result.harmonised else 0
