"""`composeium generate`: write new tunes from a title, key, meter and genre, as an ABC tune book."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "generate"
HELP = "Write new tunes (an ABC tune book) for a title, key, meter and genre."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", default="Untitled", help="tune title (T:)")
    parser.add_argument(
        "--key", default="D", help="key in ABC spelling: D, Em, F#m, Bb, Ador, Amix"
    )
    parser.add_argument("--meter", default="6/8", help="meter, e.g. 6/8, 4/4, 3/4, 9/8")
    parser.add_argument("--genre", default="jig", help="genre, e.g. reel, jig, hornpipe, waltz")
    parser.add_argument(
        "--tempo", type=int, default=None, metavar="BPM", help="Q: beats per minute"
    )
    parser.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature (0 = greedy)"
    )
    parser.add_argument(
        "--bars",
        type=int,
        default=None,
        metavar="N",
        help="length in written bars (default: drawn like the corpus's tunes of that meter "
        "and genre)",
    )
    parser.add_argument(
        "--form",
        default=None,
        metavar="PARTS",
        help="the parts to write: AABB (two repeated parts), AABBCC, AB, ABB, AABA (a part "
        "that comes back is written out again) ... or free (default: the genre's form, AABB for "
        "dance tunes and waltzes, free for airs and songs; free when --bars is given)",
    )
    parser.add_argument(
        "--part-bars",
        type=int,
        default=8,
        metavar="N",
        help="bars in each part of --form (8 or 16; default 8)",
    )
    parser.add_argument(
        "--endings",
        type=int,
        default=0,
        metavar="N",
        help="bars in each first and second ending of a repeated part (|1 ... :|2 ... ||; "
        "0 = none, the default)",
    )
    parser.add_argument(
        "--pickup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="allow a pickup (upbeat) before the first bar (default on)",
    )
    parser.add_argument("--top-k", type=int, default=0, metavar="N", help="top-k (0 = off)")
    parser.add_argument("--top-p", type=float, default=0.95, metavar="P", help="nucleus mass")
    parser.add_argument("--seed", type=int, default=None, help="random seed (same seed, same tune)")
    parser.add_argument("--num", type=int, default=1, metavar="N", help="number of tunes")
    parser.add_argument(
        "--no-rank",
        action="store_true",
        help="keep seed order instead of ranking the tunes by model likelihood",
    )
    parser.add_argument(
        "--max-tokens", type=int, default=512, metavar="N", help="maximum body tokens per tune"
    )
    parser.add_argument(
        "--prime", default="", metavar="ABC", help="ABC body to continue from (unit L:1/8)"
    )
    parser.add_argument(
        "--unconstrained",
        action="store_true",
        help="sample without the ABC constraints (output may be invalid)",
    )
    parser.add_argument(
        "--chords",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add chord symbols to each new tune (core.harmony; default on)",
    )
    parser.add_argument(
        "--chord-style", choices=("simple", "rich"), default="simple", help="chords' style"
    )
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.abc", help="output file")
    parser.add_argument(
        "--again",
        type=Path,
        default=None,
        metavar="FILE.abc",
        help="write the tunes of FILE again from the settings they record (their %%%%composeium "
        "line: model, seed, sampling, form); the same model writes the same notes",
    )
    parser.add_argument(
        "--model", type=Path, default=None, metavar="DIR", help="model folder (default: model/)"
    )
    parser.add_argument(
        "--list", action="store_true", help="print the accepted genres, modes, meters and keys"
    )
    parser.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        default=None,
        metavar="FILE.abc",
        help="a tune to rewrite part of (with --regenerate-bars); its first tune is used",
    )
    parser.add_argument(
        "--regenerate-bars",
        default=None,
        metavar="FIRST-LAST",
        help="with --from: write new music for these bars (e.g. 9-16; pickup not counted), "
        "everything else kept as written",
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=4,
        metavar="N",
        help="with --regenerate-bars: rewrites tried, the one leading best into the next bars "
        "kept (default 4)",
    )


def format_choices() -> str:
    """The text of `generate --list`."""
    from composeium_desktop.core.generation.request import list_choices

    choices = list_choices()
    return "\n".join(
        [
            "genres: " + ", ".join(choices["genres"]),
            "modes:  " + ", ".join(choices["modes"]),
            "meters: " + ", ".join(choices["meters"]),
            "keys:   a tonic A-G with optional # or b, then the mode: nothing (major), m (minor), "
            "dor, mix, lyd, phr, loc; e.g. D, Em, F#m, Bb, Ador, Amix",
        ]
    )


def _request(args: argparse.Namespace):  # noqa: ANN202 (GenerationRequest, imported lazily)
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.generation.request import GenerationRequest, validate_request

    if args.num < 1:
        raise UsageError("--num must be at least 1")
    try:
        form = _form(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    request = GenerationRequest(
        title=" ".join(args.title.split()) or "Untitled",
        key=args.key,
        meter=args.meter,
        genre=args.genre,
        tempo=args.tempo,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        seed=args.seed,
        max_tokens=args.max_tokens,
        prime=args.prime,
        constrained=not args.unconstrained,
        bars=args.bars,
        form=form,
    )
    try:
        validate_request(request)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return request


def _form(args: argparse.Namespace):  # noqa: ANN202 (FormPlan | None, imported lazily)
    """The form asked for: --form (with --part-bars, --pickup and --endings), else the genre's own form,
    else (with --bars, or for airs and songs) a free form."""
    from composeium_desktop.core.generation.form_plan import FormPlan, default_form, parse_form

    if args.form is not None:
        return parse_form(args.form, args.part_bars, args.pickup, args.endings)
    if args.bars is not None:
        return None
    plan = default_form(args.genre)
    if plan is None:
        return None
    return FormPlan(plan.parts, args.part_bars, args.pickup, args.endings)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    from composeium_desktop.core import fileio

    fileio.write_text(out, text)


def model_folder(folder: Path) -> Path:
    """`folder` if it holds a model; otherwise a UsageError saying so."""
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.model.config import CONFIG_FILE, MODEL_FILE

    folder = Path(folder)
    if not (folder / CONFIG_FILE).is_file() or not (folder / MODEL_FILE).is_file():
        raise UsageError(f"no trained model in {folder} (pass --model DIR)")
    return folder


def run(args: argparse.Namespace) -> int:
    from composeium_desktop import paths
    from composeium_desktop.commands import UsageError

    if args.list:
        print(format_choices())
        return 0
    if args.from_file is not None or args.regenerate_bars is not None:
        return _regenerate(args)
    from composeium_desktop.commands.generate_again import report_nearest, run_again, written_tunes
    from composeium_desktop.core.generation.request import tune_book

    if args.again is not None:
        folder = model_folder(args.model or paths.model_dir())
        tunes = run_again(args, folder)
    else:
        request = _request(args)
        folder = model_folder(args.model or paths.model_dir())

        from composeium_desktop.core.generation.decoder import Generator

        generator = Generator.load(folder)
        chords = args.chord_style if args.chords else ""
        try:
            tunes = written_tunes(generator, request, folder, args.num, not args.no_rank, chords)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    report_nearest(tunes, folder)
    _write(tune_book(tunes), args.out)
    if args.out is not None:
        print(f"wrote {len(tunes)} tune(s) to {args.out}", file=sys.stderr)
    return 0


def _regenerate(args: argparse.Namespace) -> int:
    """`generate --from FILE --regenerate-bars 9-16`: the tune with only those bars new."""
    from composeium_desktop import paths
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.abcnotation.bar_spans import parse_bar_range

    if args.from_file is None or args.regenerate_bars is None:
        raise UsageError("--from FILE.abc and --regenerate-bars FIRST-LAST go together")
    if args.candidates < 1:
        raise UsageError("--candidates must be at least 1")
    try:
        first, last = parse_bar_range(args.regenerate_bars)
        text = Path(args.from_file).expanduser().read_text(encoding="utf-8")
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    folder = model_folder(args.model or paths.model_dir())

    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.regenerate import regenerate

    try:
        result = regenerate(
            Generator.load(folder), text, first, last, seed=args.seed, candidates=args.candidates
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _write(result.text, args.out)
    if args.out is not None:
        print(f"wrote {args.out} with bars {first}-{last} rewritten", file=sys.stderr)
    return 0
