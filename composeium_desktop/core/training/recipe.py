"""Training recipes: the stages of `composeium train` that make a model, run in order under one
root folder (``composeium train --recipe shipped --out runs/shipped``).

A recipe is a JSON file (``recipes/<name>.json`` beside this module, or any path) listing stages
in order. Each stage names its output folder (under the root), the command-line options of
``composeium train`` it runs with (flag names without ``--``; ``true`` for a bare flag; other
values written as on the command line, a list for an option of several values), and how it starts: from scratch (the first stage),
warm-started from a previous stage's model (``init_from``: that stage's name), or continuing a
previous stage's run in the same folder (``resume``: true, the budget options changed).

The runner writes ``stage_done-<name>.json`` (wall time, steps, best validation loss) in a stage's
folder when the stage ends, and skips stages that have one; a stage stopped before its end (killed,
interrupted, its time budget spent) continues from its folder's checkpoint. At the end it copies
the final stage's model into ``<root>/model`` and writes ``recipe_summary.json`` and
``recipe_summary.md`` (the figures a model card cites).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composeium_desktop.core import fileio
from composeium_desktop.core.training.options import CHECKPOINT_DIR, TrainResult

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
MODEL_FOLDER = "model"
SUMMARY_FILE = "recipe_summary.json"
SUMMARY_TABLE = "recipe_summary.md"
MUSIC21 = "{music21}"
"""Stands for music21's corpus folder in option values (a tiny recipe's corpus subset)."""
# A stage that ended this way has not finished: the next invocation continues it.
UNFINISHED = "time budget"

# Runs one stage: the argument list of `composeium train` -> its result.
TrainStage = Callable[[list[str]], TrainResult]


@dataclass(frozen=True)
class Stage:
    name: str
    out: str
    options: dict[str, Any] = field(default_factory=dict)
    init_from: str | None = None  # a previous stage's name
    resume: bool = False  # continue the previous stage's run in the same folder

    def marker(self, root: Path) -> Path:
        return root / self.out / f"stage_done-{self.name}.json"


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    stages: tuple[Stage, ...]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


def recipe_names() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.json"))


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A packaged recipe by name (``shipped``, ``tiny``) or a recipe file; ValueError if it is
    malformed or its stages do not chain."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = RECIPES_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no recipe {name_or_path!r} (packaged: {', '.join(recipe_names())})"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = {"name", "out", "options", "init_from", "resume"}
    stages = []
    for entry in data.get("stages", []):
        unknown = set(entry) - keys
        if unknown:
            raise ValueError(f"recipe {path.name}: unknown stage keys {sorted(unknown)}")
        stages.append(Stage(**{**entry, "options": dict(entry.get("options", {}))}))
    recipe = Recipe(
        str(data.get("name", path.stem)), str(data.get("description", "")), tuple(stages)
    )
    check_chain(recipe)
    return recipe


def check_chain(recipe: Recipe) -> None:
    """Each stage after the first starts from the one before it: warm-started from its model
    or continuing its run in the same folder; option values are flags or scalars."""
    if not recipe.stages:
        raise ValueError(f"recipe {recipe.name}: no stages")
    names = [s.name for s in recipe.stages]
    if len(set(names)) != len(names):
        raise ValueError(f"recipe {recipe.name}: stage names repeat")
    for index, stage in enumerate(recipe.stages):
        where = f"recipe {recipe.name}, stage {stage.name}"
        for key, value in stage.options.items():
            if key in ("out", "init-from", "resume"):
                raise ValueError(f"{where}: --{key} comes from the stage's out/init_from/resume")
            values = value if isinstance(value, list) else [value]
            if not values or any(v is False or isinstance(v, (list, dict)) or v is None
                                 for v in values):  # fmt: skip
                raise ValueError(f"{where}: option {key} must be true, a value or a list")
        if index == 0:
            if stage.init_from or stage.resume:
                raise ValueError(f"{where}: the first stage starts from scratch")
            continue
        previous = recipe.stages[index - 1]
        if stage.resume == (stage.init_from is not None):
            raise ValueError(f"{where}: give either init_from or resume")
        if stage.resume and stage.out != previous.out:
            raise ValueError(f"{where}: resume continues {previous.name}'s folder {previous.out}")
        if stage.init_from is not None and stage.init_from != previous.name:
            raise ValueError(f"{where}: init_from must be the previous stage, {previous.name}")
        if stage.init_from is not None and stage.out in {s.out for s in recipe.stages[:index]}:
            raise ValueError(f"{where}: a warm-started stage needs a folder of its own")


def stage_arguments(recipe: Recipe, stage: Stage, root: Path) -> list[str]:
    """The arguments of `composeium train` (after ``train``) that run ``stage`` under ``root``."""
    from composeium_desktop.core.corpus import music21_corpus_dir

    argv = ["--out", (root / stage.out).as_posix()]
    if stage.init_from is not None:
        argv += ["--init-from", (root / recipe.stage(stage.init_from).out).as_posix()]
    if stage.resume:
        argv.append("--resume")
    for key, value in stage.options.items():
        argv.append(f"--{key}")
        if value is True:
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(item)
            if MUSIC21 in text:
                text = text.replace(MUSIC21, music21_corpus_dir().as_posix())
            argv.append(text)
    return argv


def dry_run(recipe: Recipe, root: Path) -> list[str]:
    """The commands a recipe runs, one line each, and what it does after them."""
    lines = [
        "composeium train " + " ".join(stage_arguments(recipe, stage, root))
        for stage in recipe.stages
    ]
    final = root / recipe.stages[-1].out
    lines.append(
        f"# then: copy {final.as_posix()} (without its checkpoint) to "
        f"{(root / MODEL_FOLDER).as_posix()}; figures in {(root / SUMMARY_FILE).as_posix()}"
    )
    return lines


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _write_json(path: Path, data: Any) -> None:
    fileio.write_text(path, json.dumps(data, indent=1) + "\n")


def _run_wall_before(recipe: Recipe, stage: Stage, root: Path) -> float:
    """Wall time already counted in the stage's folder by the stages before it there."""
    index = recipe.stages.index(stage)
    for earlier in reversed(recipe.stages[:index]):
        if earlier.out == stage.out and earlier.marker(root).is_file():
            return float(_read_json(earlier.marker(root))["run_wall_s"])
    return 0.0


def run_recipe(
    recipe: Recipe,
    root: Path,
    train_stage: TrainStage,
    say: Callable[[str], None] = print,
    extra: Sequence[str] = (),
) -> dict[str, Any] | None:
    """Runs each unfinished stage of ``recipe`` under ``root`` with ``train_stage`` (``extra``
    appended to its arguments); returns the summary, or None if a stage stopped unfinished."""
    root.mkdir(parents=True, exist_ok=True)
    for number, stage in enumerate(recipe.stages, 1):
        label = f"stage {number}/{len(recipe.stages)} ({stage.name})"
        if stage.marker(root).is_file():
            done = _read_json(stage.marker(root))
            say(f"{label}: done before ({done['wall_s'] / 60:.1f} min), skipped")
            continue
        argv = stage_arguments(recipe, stage, root) + list(extra)
        state = root / stage.out / CHECKPOINT_DIR / "state.json"
        if not stage.resume and state.is_file():
            step = _read_json(state)["history"][-1]["step"]
            say(f"{label}: continuing from its checkpoint at step {step}")
            argv.append("--resume")
        else:
            say(f"{label}: composeium train {' '.join(argv)}")
        result = train_stage(argv)
        if result.stopped == UNFINISHED:
            say(f"{label}: stopped by its time budget at step {result.steps}; run again to go on")
            return None
        _write_json(
            stage.marker(root),
            {
                "stage": stage.name,
                "command": "composeium train " + " ".join(stage_arguments(recipe, stage, root)),
                "wall_s": result.wall_s - _run_wall_before(recipe, stage, root),
                "run_wall_s": result.wall_s,
                "steps": result.steps,
                "best_val_loss": result.best_val_loss,
                "final_train_loss": result.final_train_loss,
                "stopped": result.stopped,
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
    return finish(recipe, root, say)


def finish(recipe: Recipe, root: Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Copies the final stage's model to ``root/model`` and writes the summary files."""
    final = root / recipe.stages[-1].out
    target = root / MODEL_FOLDER
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        final, target, ignore=shutil.ignore_patterns(CHECKPOINT_DIR, "stage_done-*.json")
    )
    stages = [_read_json(stage.marker(root)) for stage in recipe.stages]
    summary = {
        "recipe": recipe.name,
        "stages": stages,
        "total_wall_s": sum(s["wall_s"] for s in stages),
        "best_val_loss": stages[-1]["best_val_loss"],
        "model": target.as_posix(),
    }
    _write_json(root / SUMMARY_FILE, summary)
    fileio.write_text(root / SUMMARY_TABLE, summary_table(summary))
    say(f"recipe {recipe.name}: {summary['total_wall_s'] / 60:.1f} min in all; model in {target}")
    return summary


def summary_table(summary: dict[str, Any]) -> str:
    """The summary as a Markdown table: wall time, steps and best validation loss per stage."""
    lines = [
        "| stage | wall time (min) | steps | best validation loss (nats/token) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s in summary["stages"]:
        lines.append(
            f"| {s['stage']} | {s['wall_s'] / 60:.1f} | {s['steps']} | {s['best_val_loss']:.4f} |"
        )
    lines.append(f"| **total** | {summary['total_wall_s'] / 60:.1f} | | |")
    return "\n".join(lines) + "\n"
