"""The single command-line entry point: `composeium <command>` (gui by default).

Each subcommand lives in its own module under composeium_desktop.commands and defines
NAME, HELP, add_arguments(parser) and run(args) -> int. Heavy libraries (TensorFlow, Verovio,
Qt) are imported inside run(), never at module import, so `composeium --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# NumPy's OpenBLAS splits even the model's small products (48 x 128 by 128 x 512 in the
# encoder) over every core, and its threads spin while they wait: on this 2-core machine with
# the window's own thread busy that made one product 24 ms instead of 0.14 ms, and doubled the
# CPU time of composing a tune. One BLAS thread leaves the other core to Qt and the render
# worker. Set before anything imports NumPy; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from composeium_desktop.commands import UsageError  # noqa: E402

COMMAND_MODULES = (
    "gui",
    "corpus",
    "train",
    "evaluate",
    "generate",
    "bench",
    "render",
    "check",
    "export",
    "harmonise",
    "play",
)


def _load_commands(names: Sequence[str] = COMMAND_MODULES) -> list:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(f"composeium_desktop.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"composeium_desktop.commands.{name}":
                raise
    return modules


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` that one command's part of it (the others'
    modules are not imported)."""
    parser = argparse.ArgumentParser(
        prog="composeium", description="Composeium Desktop: compose folk tunes offline."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _load_commands(COMMAND_MODULES if only is None else (only,)):
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
        args_list = ["gui", *args_list]
    # A named command reads only its own arguments: the app's launch does not wait for the
    # training commands' imports (NumPy among them: the model's thread imports it later).
    parser = build_parser(only=args_list[0] if args_list[0] in COMMAND_MODULES else None)
    args = parser.parse_args(args_list)
    if not hasattr(args, "_run"):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"composeium {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def gui_main() -> int:
    """Entry point of `composeium-desktop`."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
