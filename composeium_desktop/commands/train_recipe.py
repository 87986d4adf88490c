"""`composeium train --recipe NAME`: run (or with --dry-run, print) a training recipe's stages,
each parsed and checked as the `composeium train` command line it stands for."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composeium_desktop.core.training.options import TrainOptions, TrainResult
    from composeium_desktop.core.training.recipe import Recipe

# Settings of `composeium train` that apply to every stage of a recipe; any other is the recipe's.
PASSED_ON = {"quiet": "--quiet"}
OWN = {"recipe", "dry_run", "out", "quiet"}


@dataclass(frozen=True)
class TrainCommand:
    """What a recipe needs of `composeium train` (handed over by it, so neither module imports
    the other): its options, their check, and the TrainOptions they make."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    check: Callable[[argparse.Namespace], None]
    options: Callable[[argparse.Namespace], TrainOptions]

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog="composeium train", add_help=False)
        self.add_arguments(parser)
        return parser

    def parse(self, argv: list[str]) -> argparse.Namespace:
        """A stage's arguments as `composeium train` reads them; ValueError for one it
        refuses."""
        try:
            args, unknown = self.parser().parse_known_args(argv)
        except SystemExit as exc:  # argparse has printed why
            raise ValueError(f"not a valid `composeium train` command: {' '.join(argv)}") from exc
        if unknown:
            raise ValueError(f"`composeium train` has no option {' '.join(unknown)}")
        return args

    def train(self, argv: list[str]) -> TrainResult:
        """Runs one stage: `composeium train` with these arguments, in this process."""
        from composeium_desktop.commands import UsageError
        from composeium_desktop.core.training.fit import train

        args = self.parse(argv)
        self.check(args)
        try:
            return train(self.options(args))
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc)) from exc


def _check_recipe(recipe: Recipe, root: Path, command: TrainCommand) -> None:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.training.recipe import stage_arguments

    for stage in recipe.stages:
        try:
            command.parse(stage_arguments(recipe, stage, root))
        except ValueError as exc:
            raise UsageError(f"recipe {recipe.name}, stage {stage.name}: {exc}") from exc


def run(args: argparse.Namespace, command: TrainCommand) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.training.recipe import dry_run, load_recipe, run_recipe

    defaults = vars(command.parser().parse_args([]))
    changed = [
        k for k, v in vars(args).items() if k in defaults and k not in OWN and v != defaults[k]
    ]
    if changed:
        flags = ", ".join("--" + k.replace("_", "-") for k in changed)
        raise UsageError(f"--recipe takes its settings from the recipe; leave out {flags}")
    try:
        recipe = load_recipe(args.recipe)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    root = args.out or Path("runs") / recipe.name
    _check_recipe(recipe, root, command)
    if args.dry_run:
        print("\n".join(dry_run(recipe, root)))
        return 0
    extra = [flag for key, flag in PASSED_ON.items() if getattr(args, key)]

    def say(message: str) -> None:
        print(f"[recipe {recipe.name}] {message}", file=sys.stderr, flush=True)

    summary = run_recipe(recipe, root, command.train, say, extra)
    return 0 if summary is not None else 3
