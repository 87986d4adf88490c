"""Regenerating bars of a tune with the shipped model: only the range changes (every other
character kept), the new bars fit the meter and keep the tune's bar lines, the candidates are
ranked by how likely the following bars are after them, and the CLI writes the result."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from composeium_desktop.cli import main
from composeium_desktop.core.abcnotation import bar_lengths, parse_tune, validate
from composeium_desktop.core.abcnotation.bar_spans import tune_spans
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.regenerate import (
    Regeneration,
    join_logprob,
    regenerate,
    regeneration_candidates,
    variation_range,
)
from composeium_desktop.paths import model_dir

# A traditional jig (not one the model wrote), AABB 8+8 with a repeat sign at each part's start.
KESH = (
    "X:1\nT:The Kesh\nM:6/8\nL:1/8\nR:jig\nK:G\n"
    "|:GAG GAB|ABA ABd|edd gdd|edB dBA|\n"
    "GAG GAB|ABA ABd|edd gdB|AGF G3:|\n"
    "|:BAB dBd|ege dBA|BAB dBG|ABA AGA|\n"
    "BAB dBd|ege dBd|gfg aga|bgf g3:|\n"
)


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator.load(model_dir())


def assert_only_range_changed(original: str, text: str, first: int, last: int) -> None:
    """Bars outside first-last byte for byte, the same bars and bar lines, the range's bars
    of the meter's length, and nothing the notation core or abc2abc calls an error."""
    before, after = tune_spans(original), tune_spans(text)
    assert [(b.number, b.closing) for b in after.bars] == [
        (b.number, b.closing) for b in before.bars
    ]
    range_before = before.numbered(first, last)
    range_after = after.numbered(first, last)
    assert text[: range_after[0].start] == original[: range_before[0].start]
    assert text[range_after[-1].close :] == original[range_before[-1].close :]
    assert text != original
    tune = parse_tune(text)
    infos = bar_lengths(tune.body, tune.meter, tune.unit)
    numbers = [b.number for b in after.bars]
    lengths = [info.length for info, n in zip(infos, numbers, strict=True) if first <= n <= last]
    assert lengths == [infos[0].expected] * (last - first + 1)
    assert [e for e in validate(text) if e.severity == "error"] == []
    if shutil.which("abc2abc"):  # no error abc2abc did not find in the original already
        assert abc2abc_errors(text) <= abc2abc_errors(original)


def abc2abc_errors(text: str) -> int:
    out = subprocess.run(["abc2abc", "-"], input=text, capture_output=True, text=True)
    assert out.returncode == 0
    return (out.stdout + out.stderr).count("Error")


def test_only_the_range_changes_and_its_bars_fit(generator: Generator) -> None:
    result = regenerate(generator, KESH, 9, 12, seed=0, candidates=2)
    assert_only_range_changed(KESH, result.text, 9, 12)
    # The changed stretch is one replacement of the original's [start, end).
    assert result.text == KESH[: result.start] + result.replacement + KESH[result.end :]
    assert "\n" not in KESH[result.start : result.end]  # bars 9-12 are one line ...
    assert result.text.count("\n") == KESH.count("\n")  # ... and the layout is kept


def test_candidates_are_ranked_by_how_the_following_bars_follow(generator: Generator) -> None:
    found = regeneration_candidates(generator, KESH, 5, 8, seed=3, count=2)
    assert len(found) == 2 and len({r.text for r in found}) == 2
    joins = [r.join for r in found]
    assert all(j is not None for j in joins)
    assert joins == sorted(joins, reverse=True)  # type: ignore[type-var]
    # The score is the likelihood of bars 9-10 as the tune has them, after the new bars.
    for result in found:
        assert result.join == pytest.approx(join_logprob(generator, result.text, 8), abs=1e-6)
        assert_only_range_changed(KESH, result.text, 5, 8)
    best = regenerate(generator, KESH, 5, 8, seed=3, candidates=2)
    assert best.text == found[0].text


def test_the_criterion_prefers_bars_that_lead_into_what_follows(generator: Generator) -> None:
    # The tune's own A part leads into its B part better than four bars of its final cadence.
    ending = KESH.replace("GAG GAB|ABA ABd|edd gdB|AGF G3:|", "bgf g3|bgf g3|bgf g3|bgf g3:|")
    own, cadences = join_logprob(generator, KESH, 8), join_logprob(generator, ending, 8)
    assert own is not None and cadences is not None
    assert own > cadences + 1.0


def test_the_last_part_keeps_the_tunes_end(generator: Generator) -> None:
    result = regenerate(generator, KESH, 13, 16, seed=1, candidates=2)
    assert_only_range_changed(KESH, result.text, 13, 16)
    assert result.join is None  # nothing follows: ranked by the new bars' own likelihood
    assert result.text.endswith(":|\n")


def test_the_first_bars_after_a_pickup(generator: Generator) -> None:
    tune = "X:1\nT:Pickup\nM:4/4\nL:1/8\nR:reel\nK:D\nA2|d2fd AdFA|dfed cBAG|FAdA FAdA|BcdB A2:|\n"
    result = regenerate(generator, tune, 1, 2, seed=2, candidates=1)
    assert result.text.startswith(tune[: tune.index("|") + 1])  # the pickup as written
    assert_only_range_changed(tune, result.text, 1, 2)


def test_a_pickup_written_as_its_own_bar_before_a_part_is_kept(generator: Generator) -> None:
    tune = "X:1\nT:P\nM:6/8\nL:1/8\nR:jig\nK:D\nFAF GBG|FAF D3:|\n|:A|dcd ecA|dcB A3:|\n"
    result = regenerate(generator, tune, 3, 4, seed=0, candidates=1)
    assert_only_range_changed(tune, result.text, 3, 4)
    assert "D3:|\n|:A|" in result.text
    if shutil.which("abc2abc"):
        assert abc2abc_errors(tune) == 1  # its pickup bar, as abc2abc counts bars


@pytest.mark.parametrize(
    ("text", "first", "last", "message"),
    [
        (KESH, 15, 17, "bars 1-16"),
        (KESH.replace("L:1/8", "L:1/16"), 1, 2, "L:1/8"),
        ("X:1\nM:6/8\nL:1/8\nK:D\n|:FAF GBG|1 FAF E3:|2 FAF D3||\n", 2, 3, "endings"),
        # A bar of the wrong length before the range: the decoder cannot read it.
        ("X:1\nM:6/8\nL:1/8\nK:D\nFAF GBG|FAF G|D3 FAF|dcB A3:|\n", 4, 4, "lead"),
    ],
)
def test_ranges_it_cannot_rewrite_say_why(
    generator: Generator, text: str, first: int, last: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        regenerate(generator, text, first, last, seed=0, candidates=1)


def test_variations_rewrite_the_later_parts_or_the_selection() -> None:
    assert variation_range(KESH) == (9, 16)
    assert variation_range(KESH, (3, 4)) == (3, 4)
    one_part = "X:1\nM:3/4\nL:1/8\nK:G\nG2 B2 d2|c2 A2 F2|G6|]\n"
    assert variation_range(one_part) == (1, 3)


def test_cli_rewrites_only_the_asked_bars(tmp_path: Path) -> None:
    source = tmp_path / "kesh.abc"
    source.write_text(KESH, encoding="utf-8")
    out = tmp_path / "new.abc"
    argv = ["generate", "--from", str(source), "--regenerate-bars", "9-16"]
    assert main([*argv, "--seed", "4", "--candidates", "1", "--out", str(out)]) == 0
    assert_only_range_changed(KESH, out.read_text(encoding="utf-8"), 9, 16)
    assert source.read_text(encoding="utf-8") == KESH


@pytest.mark.parametrize(
    "argv",
    [
        ["--regenerate-bars", "9-16"],
        ["--from", "missing.abc", "--regenerate-bars", "9-16"],
        ["--from", "x.abc", "--regenerate-bars", "16-9"],
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_regeneration_is_immutable() -> None:
    result = Regeneration("t", 1, 2, 0, 1, "x", 0, None, -1.0)
    with pytest.raises(AttributeError):
        result.text = "u"  # type: ignore[misc]
    assert result.score == -1.0


def test_new_bars_of_a_chorded_tune_get_chords(generator: Generator) -> None:
    # The Kesh as the app harmonises it: after rewriting bars 9-12 the other bars keep their
    # own chords byte for byte and the new bars are chorded too (the harmoniser's choice for
    # them in the new tune); the tune without chords gets new bars without chords.
    from composeium_desktop.core.harmony import harmonise_tune_text, read_melody

    chorded = harmonise_tune_text(KESH)
    result = regenerate(generator, chorded, 9, 12, seed=0, candidates=2)
    assert_only_range_changed(chorded, result.text, 9, 12)
    assert result.text == chorded[: result.start] + result.replacement + chorded[result.end :]
    new_bars = tune_spans(result.text).numbered(9, 12)
    assert result.text[new_bars[0].start : new_bars[-1].close].count('"') >= 2
    symbols = read_melody(parse_tune(result.text)).symbols
    assert symbols and len(symbols) >= len(read_melody(parse_tune(chorded)).symbols) - 4
    plain = regenerate(generator, KESH, 9, 12, seed=0, candidates=2)
    assert '"' not in plain.replacement
