"""First and second endings and parts that come back (issue 17, item 1): the plan's closings,
the shipped model writing them as ordinary ABC (``|: ... |1 ... :|2 ... ||``; an AABA's last A
written out again), read back by the notation core's form reader, abc2abc and the validator,
and the CLI's --form/--part-bars/--endings."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from composeium_desktop.cli import main
from composeium_desktop.commands import generate
from composeium_desktop.core.abcnotation import parse_tune, split_tunebook
from composeium_desktop.core.abcnotation.form import read_form, tune_form
from composeium_desktop.core.abcnotation.validate import validate
from composeium_desktop.core.features.metric import body_bars, form_bars
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.form_plan import FormPlan, parse_form
from composeium_desktop.core.generation.form_returns import splice_returns
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.paths import model_dir


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


def written(generator: Generator, request: GenerationRequest) -> tuple[str, str | None]:
    """The tune written for ``request`` and its body in the model's own key."""
    last = list(generator.generate(request))[-1]
    assert last.done and last.abc is not None
    return last.abc, last.normalised_body


def abc2abc_problems(text: str) -> list[str]:
    out = subprocess.run(["abc2abc", "-"], input=text, capture_output=True, text=True)
    assert out.returncode == 0
    lines = (out.stdout + out.stderr).splitlines()
    return [line for line in lines if "Error" in line or "Warning" in line]


def test_closings_of_a_part_with_endings() -> None:
    plan = FormPlan("AABB", 8, pickup=True, endings=2)
    closings = [set(c) for c in plan.closings()]
    # Common bars, "|1", the first ending's bars closed by ":|2", the second ending's bars.
    part = [{"|"}] * 5 + [{"|1"}, {"|"}, {":|2"}, {"|"}]
    assert closings[0] == {"|", "|:"}  # the pickup
    assert closings[1:11] == [*part, {"||"}]
    assert closings[11:] == [*part, {"|]"}]
    assert plan.total_bars == plan.tune_bars == 20  # written: a second ending's bars too
    assert plan.musician_bars == 16
    assert plan.part_ends() == (10, 20)
    assert plan.reopen() == {0, 10}


def test_closings_before_a_returning_part() -> None:
    plan = FormPlan("AABA", 8)
    assert plan.generated_parts == (("A", True), ("B", False))
    assert plan.returns == (("A", False),)
    closings = plan.closings()
    assert len(closings) == 17 and closings[8] == {":|"} and closings[16] == {"||"}
    assert (plan.total_bars, plan.tune_bars) == (16, 24)


def test_parse_form_reads_endings_and_returns() -> None:
    assert parse_form("AABB 8+8 endings 1") == FormPlan("AABB", 8, True, 1)
    assert parse_form("AABB, 16+16, no pickup, endings 2") == FormPlan("AABB", 16, False, 2)
    assert parse_form("AABA 8") == FormPlan("AABA", 8)
    assert parse_form("AABBA") == FormPlan("AABBA", 8)
    plan = parse_form("AABB", endings=1)
    assert plan is not None and parse_form(plan.label()) == plan
    for text in ("AB endings 1", "AABB endings 5", "ABAC", "AAA", "BA"):
        with pytest.raises(ValueError):
            parse_form(text)


def test_a_returning_part_is_copied_with_its_second_ending() -> None:
    first = "G|:" + "GABc dedB|" * 6 + "GABc d2B|1 GABc dBG:|2 GABc d2c||\n"
    second = "cdef gfed|" * 7 + "cdef gfeG||\n"
    body = splice_returns(FormPlan("AABA", 8, endings=1), first + second, "4/4", "G")
    assert body.startswith(first + second)
    copy = body[len(first + second) :]
    # Common bars and the second ending; no pickup after B's full last bar.
    assert copy == "GABc dedB|" * 6 + "GABc d2B|GABc d2c|]\n"
    parts = read_form(body, "4/4", "1/8", "G")
    assert [p.bar_count for p in parts] == [8, 8, 8]
    assert tune_form(body, "4/4", "1/8", "G").shape == "AABA"


def test_a_jig_with_endings_reads_back_as_planned(shipped: Generator) -> None:
    plan = FormPlan("AABB", 8, pickup=True, endings=1)
    request = GenerationRequest(key="G", meter="6/8", genre="jig", seed=0, form=plan)
    abc, normalised = written(shipped, request)
    tune = parse_tune(abc)
    parts = read_form(tune.body, tune.meter, tune.unit, tune.key)
    assert [p.bar_count for p in parts] == [8, 8]
    assert all(p.repeated and sorted(p.endings) == ["1", "2"] for p in parts)
    assert all(len(p.endings["1"]) == len(p.endings["2"]) == 1 for p in parts)
    figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
    assert figures.aabb_shaped and figures.shape == "AABB"
    assert "|1" in tune.body and ":|2" in tune.body and tune.body.rstrip().endswith("|]")
    # The decoder's form features counted the parts as the tracker reads them.
    assert normalised is not None and form_bars(normalised, "6/8") == (8, 8)
    assert not [e for e in validate(abc) if e.severity == "error"]
    if shutil.which("abc2abc"):
        assert abc2abc_problems(abc) == []


def test_two_bar_endings_in_a_reel(shipped: Generator) -> None:
    plan = FormPlan("AABB", 8, pickup=False, endings=2)
    request = GenerationRequest(key="D", meter="4/4", genre="reel", seed=1, form=plan)
    abc, normalised = written(shipped, request)
    tune = parse_tune(abc)
    parts = read_form(tune.body, tune.meter, tune.unit, tune.key)
    assert [p.bar_count for p in parts] == [8, 8]
    assert all(len(p.endings["1"]) == len(p.endings["2"]) == 2 for p in parts)
    assert normalised is not None and body_bars(normalised, "4/4") == 20


def test_aaba_writes_the_a_part_again(shipped: Generator) -> None:
    request = GenerationRequest(key="D", meter="4/4", genre="reel", seed=0, form=parse_form("AABA"))
    abc, normalised = written(shipped, request)
    tune = parse_tune(abc)
    parts = read_form(tune.body, tune.meter, tune.unit, tune.key)
    assert [p.bar_count for p in parts] == [8, 8, 8]
    assert [p.repeated for p in parts] == [True, False, False]
    figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
    assert figures.shape == "AABA"
    # The last A sounds as the first (its pickup left out after B's full last bar).
    assert parts[2].bar_notes() == parts[0].bar_notes()
    assert tune.body.rstrip().endswith("|]") and tune.body.count("|]") == 1
    assert normalised is not None and tune_form(normalised, "4/4", "1/8", "C").shape == "AABA"
    assert not [e for e in validate(abc) if e.severity == "error"]
    if shutil.which("abc2abc"):
        assert abc2abc_problems(abc) == []


def request_for(*argv: str):  # noqa: ANN201 (GenerationRequest)
    parser = argparse.ArgumentParser()
    generate.add_arguments(parser)
    return generate._request(parser.parse_args(list(argv)))


def test_cli_flags() -> None:
    assert request_for("--form", "AABA", "--part-bars", "8").form == FormPlan("AABA", 8)
    assert request_for("--genre", "jig", "--endings", "1").form == FormPlan("AABB", 8, True, 1)
    assert request_for("--form", "AABB", "--part-bars", "16", "--endings", "2").form == FormPlan(
        "AABB", 16, True, 2
    )
    assert request_for("--form", "AABB", "--endings", "0").form == FormPlan("AABB")


def test_cli_writes_endings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "jig.abc"
    argv = ["generate", "--model", str(model_dir()), "--genre", "jig", "--endings", "1"]
    assert main([*argv, "--seed", "2", "--no-chords", "--out", str(out)]) == 0
    (tune,) = split_tunebook(out.read_text())
    parts = read_form(tune.body, tune.meter, tune.unit, tune.key)
    assert [sorted(p.endings) for p in parts] == [["1", "2"], ["1", "2"]]
    capsys.readouterr()
    assert main(["generate", "--form", "AB", "--endings", "1"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
