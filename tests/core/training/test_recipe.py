"""Training recipes: the shipped recipe is the lab notebook's commands, chained stage to stage;
the tiny recipe runs every stage, skips finished ones and continues one cut short."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from composeium_desktop.commands import train
from composeium_desktop.commands.train_recipe import TrainCommand
from composeium_desktop.core.training.recipe import (
    MODEL_FOLDER,
    SUMMARY_FILE,
    SUMMARY_TABLE,
    dry_run,
    load_recipe,
    run_recipe,
    stage_arguments,
)

REPO = Path(__file__).resolve().parents[3]
COMMAND = TrainCommand(train.add_arguments, train._check_arguments, train._options)
train_stage = COMMAND.train


def _notebook_commands() -> list[str]:
    """The `composeium train` lines under "Reproduce" in the lab notebook."""
    text = (REPO / "docs" / "model-history" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Reproduce", 1)[1].split("```")[1]
    return [line.strip() for line in section.splitlines() if line.startswith("composeium train ")]


def _card() -> str:
    """model/README.md with its continued lines joined."""
    text = (REPO / "model" / "README.md").read_text(encoding="utf-8")
    return re.sub(r" *\\\n *", " ", text)


def test_shipped_recipe_chains_its_stages_and_runs_the_notebooks_commands() -> None:
    recipe = load_recipe("shipped")
    for before, stage in zip(recipe.stages, recipe.stages[1:], strict=False):
        assert stage.init_from == before.name or (stage.resume and stage.out == before.out)
    for stage in recipe.stages:  # each is a command line `composeium train` takes
        train._options(COMMAND.parse(stage_arguments(recipe, stage, Path("runs"))))
    commands = [line for line in dry_run(recipe, Path("runs")) if not line.startswith("#")]
    notebook = _notebook_commands()
    assert len(notebook) >= 9 and commands[: len(notebook)] == notebook
    # The stages after the notebook's (stage 9, form features) are on the model card, as is
    # the one command that runs them all.
    later = commands[len(notebook) :]
    assert "--form-features" in commands[-1].split()
    assert all(command in _card() for command in later)
    assert "composeium train --recipe shipped --out runs/shipped" in _card()


def test_dry_run_prints_the_stage_commands_under_out(capsys) -> None:
    from composeium_desktop.cli import main

    assert main(["train", "--recipe", "shipped", "--dry-run", "--out", "x/y"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == dry_run(load_recipe("shipped"), Path("x/y"))
    assert printed[0].startswith("composeium train --out x/y/main --steps 4000 ")
    assert printed[2].split()[2:6] == ["--out", "x/y/metric", "--init-from", "x/y/main"]
    assert printed[-1].startswith("# then: copy x/y/form")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (["--recipe", "tiny", "--steps", "5"], "leave out --steps"),
        (["--recipe", "no-such-recipe"], "no recipe 'no-such-recipe'"),
        (["--dry-run"], "--dry-run goes with --recipe"),
    ],
)
def test_train_command_refuses_a_recipe_with_other_settings(bad, says, capsys, tmp_path) -> None:
    from composeium_desktop.cli import main

    assert main(["train", "--out", str(tmp_path / "r"), *bad]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("stages", "says"),
    [
        ([{"name": "a", "out": "a", "init_from": "a"}], "first stage starts from scratch"),
        ([{"name": "a", "out": "a"}, {"name": "b", "out": "b"}], "either init_from or resume"),
        (
            [{"name": "a", "out": "a"}, {"name": "b", "out": "b", "resume": True}],
            "resume continues a's folder a",
        ),
        (
            [
                {"name": "a", "out": "a"},
                {"name": "b", "out": "b", "init_from": "a"},
                {"name": "c", "out": "c", "init_from": "a"},
            ],
            "init_from must be the previous stage, b",
        ),
        ([{"name": "a", "out": "a", "options": {"out": "z"}}], "--out comes from the stage"),
        ([{"name": "a", "out": "a", "options": {"keep-wrong-bars": False}}], "must be true"),
    ],
)
def test_recipes_whose_stages_do_not_chain_are_refused(tmp_path, stages, says) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "bad", "stages": stages}))
    with pytest.raises(ValueError, match=re.escape(says)):
        load_recipe(path)


def _history(folder: Path) -> list[dict]:
    return list(json.loads((folder / "history.json").read_text())["history"])


def _fake_trainer(walls: dict[str, list[float]], calls: list[list[str]]):
    """A stand-in for `composeium train`: leaves a model folder as a run does, and returns the
    run folder's cumulative wall time, taken in turn from ``walls[folder name]``."""
    from composeium_desktop.core.training.options import TrainResult

    def run(argv: list[str]) -> TrainResult:
        calls.append(argv)
        out = Path(argv[argv.index("--out") + 1])
        (out / "checkpoint").mkdir(parents=True, exist_ok=True)
        (out / "checkpoint" / "state.json").write_text(json.dumps({"history": [{"step": 1}]}))
        (out / "composeium.keras").write_text(out.name)
        wall = walls[out.name].pop(0)
        stopped = "time budget" if wall < 0 else "steps"
        return TrainResult(out, 10, 2.5, 2.0, abs(wall), stopped)

    return run


def test_runner_counts_each_stages_own_time_and_stops_at_a_spent_budget(tmp_path) -> None:
    stages = [
        {"name": "a", "out": "one", "options": {"steps": 10}},
        {"name": "a-more", "out": "one", "resume": True, "options": {"steps": 20}},
        {"name": "b", "out": "two", "init_from": "a-more", "options": {"steps": 5}},
    ]
    path = tmp_path / "three.json"
    path.write_text(json.dumps({"name": "three", "stages": stages}))
    recipe, root = load_recipe(path), tmp_path / "runs"
    calls: list[list[str]] = []
    # Folder "one": stage a ends at 60 s, a-more at 100 s of the run's time; folder "two": b
    # stops at its time budget after 30 s, and ends at 45 s when the recipe runs again.
    trainer = _fake_trainer({"one": [60.0, 100.0], "two": [-30.0, 45.0]}, calls)
    assert run_recipe(recipe, root, trainer, lambda _: None) is None
    assert not recipe.stage("b").marker(root).exists()
    assert calls[1][:3] == ["--out", (root / "one").as_posix(), "--resume"]
    summary = run_recipe(recipe, root, trainer, lambda _: None)
    assert summary is not None and len(calls) == 4
    assert calls[3][-1] == "--resume"  # b continues from its checkpoint
    assert [s["wall_s"] for s in summary["stages"]] == [60.0, 40.0, 45.0]
    assert summary["total_wall_s"] == 145.0
    assert (root / MODEL_FOLDER / "composeium.keras").read_text() == "two"
    assert not (root / MODEL_FOLDER / "checkpoint").exists()


@pytest.mark.slow
def test_tiny_recipe_runs_skips_finished_stages_and_continues_a_cut_one(tmp_path, capsys) -> None:
    from composeium_desktop.cli import main
    from composeium_desktop.core.model import load_model

    recipe = load_recipe("tiny")
    root = tmp_path / "runs"
    first = recipe.stages[0]
    # The first stage cut short after its checkpoint at step 2 of 4, as a killed run leaves it.
    cut = train_stage([*stage_arguments(recipe, first, root), "--until", "2", "--quiet"])
    assert cut.steps == 2 and not first.marker(root).exists()
    before = _history(root / first.out)

    calls: list[list[str]] = []
    messages: list[str] = []

    def counted(argv: list[str]):
        calls.append(argv)
        return train_stage(argv)

    summary = run_recipe(recipe, root, counted, messages.append, ["--quiet"])
    assert summary is not None and len(calls) == len(recipe.stages)
    assert calls[0][-1] == "--resume"
    assert "stage 1/2 (1-scratch): continuing from its checkpoint at step 2" in messages
    # One run, steps 2 (before the cut) and 4: the step-2 validation is the cut run's own,
    # wall time and all, not trained again.
    scratch = _history(root / "scratch")
    assert [h["step"] for h in scratch] == [2, 4]
    assert scratch[0] == before[0]
    done = [json.loads(stage.marker(root).read_text()) for stage in recipe.stages]
    assert [d["steps"] for d in done] == [4, 2]
    assert done[0]["wall_s"] >= cut.wall_s  # the stage's time counts its part before the cut
    best = min(h["val_loss"] for h in _history(root / "warm"))
    assert done[1]["best_val_loss"] == pytest.approx(best)
    warm = json.loads((root / "warm" / "history.json").read_text())["options"]
    assert warm["tonic_endings_only"] and warm["init_from"] == (root / "scratch").as_posix()

    model = root / MODEL_FOLDER
    assert load_model(model).config.d_model == 32
    assert not (model / "checkpoint").exists() and not list(model.glob("stage_done-*"))
    saved = json.loads((root / SUMMARY_FILE).read_text())
    assert saved == summary
    assert saved["total_wall_s"] == pytest.approx(sum(d["wall_s"] for d in done))
    assert "| 2-warm |" in (root / SUMMARY_TABLE).read_text()

    # Again, from the command line: every stage is done, nothing trains.
    histories = {stage.out: _history(root / stage.out) for stage in recipe.stages}
    assert main(["train", "--recipe", "tiny", "--out", str(root), "--quiet"]) == 0
    assert capsys.readouterr().err.count("done before") == len(recipe.stages)
    assert {out: _history(root / out) for out in histories} == histories
