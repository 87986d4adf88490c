"""The single command-line entry point: `composeium <command>` (gui by default).

Each subcommand lives in its own module under composeium_desktop.commands and defines
NAME, HELP, add_arguments(parser) and run(args) -> int. Heavy libraries (TensorFlow, Verovio,
Qt) are imported inside run(), never at module import, so `composeium --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from composeium_desktop.commands import UsageError

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


def _load_commands() -> list:
    modules = []
    for name in COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(f"composeium_desktop.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"composeium_desktop.commands.{name}":
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="composeium", description="Composeium Desktop: compose folk tunes offline."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _load_commands():
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
        args_list = ["gui", *args_list]
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
