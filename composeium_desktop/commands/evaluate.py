"""`composeium evaluate`: bits per character against an n-gram baseline, and sample metrics."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "evaluate"
HELP = "Evaluate a model: bits per character, n-gram baseline, generated-sample metrics."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--model",
        type=Path,
        default=None,
        metavar="DIR",
        help="model folder (default: the shipped model/)",
    )
    add(
        "--samples",
        type=int,
        default=200,
        help="tunes to generate for the sample metrics (default 200; 0 skips them)",
    )
    add(
        "--abc",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="also score the tunes in these ABC files",
    )
    add("--seed", type=int, default=0, help="seed for the sampled metadata and generation")
    add(
        "--unconstrained",
        action="store_true",
        help="generate without constrained decoding (measures the model alone)",
    )
    add(
        "--both",
        action="store_true",
        help="generate the samples twice: constrained and unconstrained (unconstrained_* keys)",
    )
    add(
        "--temperature",
        type=float,
        default=None,
        help="sampling temperature of the generated tunes (default: the app's, 1.0)",
    )
    add(
        "--top-p",
        type=float,
        default=None,
        help="nucleus (top-p) mass of the generated tunes (default: the app's, 0.95)",
    )
    add("--json", action="store_true", help="print one JSON object on the last line")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.paths import model_dir

    folder = args.model or model_dir()
    if not (folder / "composeium.keras").is_file():
        raise UsageError(f"no model in {folder} (composeium.keras missing)")
    if args.both and args.unconstrained:
        raise UsageError("--both already includes the unconstrained samples")
    if args.samples < 0:
        raise UsageError("--samples must be 0 or more")
    for path in args.abc:
        if not path.is_file():
            raise UsageError(f"no such ABC file: {path}")
    if args.temperature is not None and args.temperature < 0:
        raise UsageError("--temperature must be 0 or more (0 = greedy)")
    if args.top_p is not None and not 0 < args.top_p <= 1:
        raise UsageError("--top-p must be in (0, 1]")
    sampling = {
        name: value
        for name, value in (("temperature", args.temperature), ("top_p", args.top_p))
        if value is not None
    }

    from composeium_desktop.core.evaluation.figures import format_table, run_evaluation

    figures = run_evaluation(
        folder,
        samples=args.samples,
        abc_files=args.abc,
        seed=args.seed,
        constrained=not args.unconstrained,
        also_unconstrained=args.both,
        sampling=sampling,
        log=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(format_table(figures))
    if args.json:
        print(json.dumps(figures))
    return 0
