"""Phrase echo: while the decoder writes bars 5-6 of an 8-bar part (9-10 of a 16-bar one) it
favours the pieces that repeat the part's opening bars, for the dance genres only; the shipped
model's reels and jigs then open their second phrase as their first, as the books' tunes do."""

from __future__ import annotations

import pytest

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.abcnotation.form import tune_form
from composeium_desktop.core.generation import tune_run
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.form_plan import FormPlan, default_form
from composeium_desktop.core.generation.phrase_echo import echo_remainder, echo_text, echoes
from composeium_desktop.core.generation.piece_table import PieceTable
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.paths import model_dir

BARS = ["|:GABc dBAG|", "FGAF DEFD|", "GABc dcBA|", "GFED D4|", "GABc dBAG|", "FGAF"]


def _ends(bars: list[str]) -> dict[int, int]:
    """bar_ends as WrittenBody keeps them: written bar -> where it ends in the text."""
    ends, at = {0: 0}, 0
    for number, bar in enumerate(bars, start=1):
        at += len(bar)
        if bar.endswith("|"):
            ends[number] = at
    return ends


def test_echo_bars_of_an_eight_bar_part_aim_at_its_first_two_bars() -> None:
    plan = FormPlan("AABB", 8)
    raw = "".join(BARS)
    ends = _ends(BARS)
    texts = echo_text(plan, raw, ends, bars_done=5)  # writing bar 6
    assert texts == ("GABc dBAG|FGAF DEFD|", "GABc dBAG|FGAF")
    assert echo_remainder(*texts) == " DEFD|"
    # Bar 5, just begun (nothing written yet): the whole opening is ahead.
    assert echo_text(plan, raw[: ends[4]], ends, bars_done=4) == ("GABc dBAG|FGAF DEFD|", "")
    # Bars 1-4, 7 and 8 are no echo bars.
    for done in (0, 1, 2, 3, 6, 7):
        assert echo_text(plan, raw, ends, bars_done=done) is None


def test_echo_in_the_second_part_and_in_sixteen_bar_parts() -> None:
    plan = FormPlan("AABB", 8)
    ends = {number: number * 10 for number in range(0, 17)}
    raw = "".join(f"{n:<9}|" for n in range(1, 17))
    target, written = echo_text(plan, raw, ends, bars_done=12)  # bar 13: B's fifth
    assert target.startswith("9") and "10" in target and written.startswith("13")
    long_plan = FormPlan("AB", 16)
    assert echo_text(long_plan, raw, ends, bars_done=7) is None  # bar 8 of 16
    target, _ = echo_text(long_plan, raw, ends, bars_done=8)  # bar 9 echoes bars 1-2
    assert target.startswith("1") and "2" in target
    assert echo_text(FormPlan("AABB", 4), raw, ends, bars_done=4) is None  # no second phrase


def test_an_echo_that_left_its_opening_favours_nothing() -> None:
    assert echo_remainder("GABc dBAG|", "GABd") == ""
    assert echo_remainder("GABc dBAG|", "GABc dBAG|") == ""
    assert echo_remainder("GABc dBAG|", "GA") == "Bc dBAG|"


def test_pieces_that_begin_a_text() -> None:
    table = PieceTable(["G", "GA", "GAB", "A", "c", "<s>"], special_ids=[5])
    assert table.prefixes_of("GABc") == [0, 1, 2]
    assert table.prefixes_of("c d") == [4]
    assert table.prefixes_of("x") == []


def test_only_dance_tunes_echo() -> None:
    assert echoes("reel") and echoes("Jig") and echoes("hornpipe") and echoes("polka")
    assert not echoes("air") and not echoes("song")


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


def _phrase_repetition(generator: Generator, genre: str, meter: str, seeds: range) -> float:
    scores = []
    for seed in seeds:
        request = GenerationRequest(
            key="D", meter=meter, genre=genre, seed=seed, form=default_form(genre)
        )
        last = list(generator.generate(request))[-1]
        assert last.abc is not None
        tune = parse_tune(last.abc)
        figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
        assert figures.phrase_repetition is not None and figures.aabb_shaped
        scores.append(figures.phrase_repetition)
    return sum(scores) / len(scores)


@pytest.mark.parametrize(("genre", "meter"), [("reel", "4/4"), ("jig", "6/8")])
def test_generated_dance_tunes_open_their_second_phrase_as_the_first(
    shipped: Generator, genre: str, meter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The books' dance tunes score 0.80 (bars 1-2 against 5-6); the model alone about 0.66.
    seeds = range(6)
    echoed = _phrase_repetition(shipped, genre, meter, seeds)
    monkeypatch.setattr(tune_run, "ECHO_BONUS", 0.0)
    plain = _phrase_repetition(shipped, genre, meter, seeds)
    assert echoed >= 0.65
    assert echoed > plain + 0.05, (echoed, plain)
