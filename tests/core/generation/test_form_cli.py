"""`composeium generate --form/--part-bars/--pickup`: the genre's form by default, another
form when asked, a free one with --bars or --form free; and the tune written keeps it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from composeium_desktop.cli import main
from composeium_desktop.commands import generate
from composeium_desktop.core.abcnotation import split_tunebook
from composeium_desktop.core.abcnotation.form import tune_form
from composeium_desktop.core.generation.form_plan import FormPlan
from composeium_desktop.paths import model_dir


def request_for(*argv: str):  # noqa: ANN201 (GenerationRequest)
    parser = argparse.ArgumentParser()
    generate.add_arguments(parser)
    return generate._request(parser.parse_args(list(argv)))


def test_the_genres_form_is_the_default() -> None:
    assert request_for("--genre", "reel", "--meter", "4/4").form == FormPlan("AABB", 8, True)
    assert request_for("--genre", "reel", "--no-pickup").form == FormPlan("AABB", 8, False)
    assert request_for("--genre", "waltz", "--part-bars", "16").form == FormPlan("AABB", 16)
    assert request_for("--genre", "air").form is None


def test_asked_forms_and_free_ones() -> None:
    assert request_for("--form", "AB", "--part-bars", "16").form == FormPlan("AB", 16, True)
    assert request_for("--genre", "reel", "--form", "free").form is None
    bars = request_for("--genre", "reel", "--bars", "24")
    assert (bars.form, bars.bars) == (None, 24)


@pytest.mark.parametrize(
    "argv", [["--form", "ABAC"], ["--form", "AB", "--bars", "12"], ["--part-bars", "12"]]
)
def test_unwritable_forms_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_two_sixteen_bar_parts_without_repeats(tmp_path: Path) -> None:
    out = tmp_path / "ab.abc"
    argv = ["generate", "--model", str(model_dir()), "--genre", "reel", "--meter", "4/4"]
    argv += ["--form", "AB", "--part-bars", "16", "--seed", "4", "--num", "2", "--no-chords"]
    assert main([*argv, "--out", str(out)]) == 0
    for tune in split_tunebook(out.read_text()):
        figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
        assert figures.part_bars == (16, 16) and figures.shape == "AB"
        assert ":" not in tune.body  # no repeat signs


def test_a_reel_by_default_is_aabb(tmp_path: Path) -> None:
    out = tmp_path / "reel.abc"
    argv = ["generate", "--model", str(model_dir()), "--genre", "reel", "--meter", "4/4"]
    assert main([*argv, "--seed", "9", "--num", "2", "--out", str(out)]) == 0
    for tune in split_tunebook(out.read_text()):
        figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
        assert figures.aabb_shaped and figures.part_bars == (8, 8) and figures.b_distinct
