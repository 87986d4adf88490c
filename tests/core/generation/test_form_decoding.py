"""The shipped model, asked for a form, writes that form: dance tunes with their genre's default
come out AABB-shaped as the notation core's form reader reads them (two 8-bar parts between
repeats, B not a copy of A), another plan is kept to the bar, and no plan changes nothing."""

from __future__ import annotations

import pytest

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.abcnotation.form import FormFigures, read_form, tune_form
from composeium_desktop.core.features.metric import body_bars
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.form_plan import FormPlan, default_form
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.paths import model_dir

DANCES = [
    ("reel", "4/4", "D"),
    ("jig", "6/8", "G"),
    ("hornpipe", "4/4", "A"),
    ("polka", "2/4", "D"),
]
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


def written_form(generator: Generator, request: GenerationRequest) -> tuple[FormFigures, int]:
    """The form of the tune written for `request`, and the length the decoder was told."""
    last = list(generator.generate(request))[-1]
    assert last.done and last.abc is not None and last.intended_bars is not None
    tune = parse_tune(last.abc)
    return tune_form(tune.body, tune.meter, tune.unit, tune.key), last.intended_bars


@pytest.mark.parametrize(("genre", "meter", "key"), DANCES)
def test_dance_tunes_come_out_in_their_genres_form(
    shipped: Generator, genre: str, meter: str, key: str
) -> None:
    for seed in SEEDS:
        request = GenerationRequest(
            key=key, meter=meter, genre=genre, seed=seed, form=default_form(genre)
        )
        figures, _ = written_form(shipped, request)
        assert figures.part_bars == (8, 8), (genre, seed, figures)
        assert figures.aabb_shaped, (genre, seed, figures)
        assert figures.b_distinct, (genre, seed, figures)


def test_two_sixteen_bar_parts_without_repeats(shipped: Generator) -> None:
    plan = FormPlan("AB", 16)
    for seed in (0, 1):
        request = GenerationRequest(key="D", meter="4/4", genre="reel", seed=seed, form=plan)
        figures, _ = written_form(shipped, request)
        assert figures.part_bars == (16, 16), (seed, figures)
        assert figures.shape == "AB" and not figures.aabb_shaped


def test_three_parts_and_no_pickup(shipped: Generator) -> None:
    plan = FormPlan("AABBCC", 8, pickup=False)
    request = GenerationRequest(key="G", meter="6/8", genre="jig", seed=5, form=plan)
    last = list(shipped.generate(request))[-1]
    tune = parse_tune(last.abc or "")
    figures = tune_form(tune.body, tune.meter, tune.unit, tune.key)
    assert figures.part_bars == (8, 8, 8) and figures.aabb_shaped
    assert last.intended_bars == 24  # no pickup: the length feature counts 24 written bars


def test_the_length_feature_is_told_the_plans_bars(shipped: Generator) -> None:
    """The decoder's bars-to-go counts the plan's written bars (one more with a pickup)."""
    for seed in SEEDS:
        request = GenerationRequest(meter="6/8", genre="jig", seed=seed, form=FormPlan())
        last = list(shipped.generate(request))[-1]
        assert last.intended_bars in (16, 17)
        assert last.normalised_body is not None
        assert body_bars(last.normalised_body, "6/8") == last.intended_bars


def test_no_form_writes_what_it_wrote_before(shipped: Generator) -> None:
    """form=None is the free form: the same tokens as a request that never heard of forms (the
    golden tunes pin those tokens to the recorded ones)."""
    plain = GenerationRequest(meter="4/4", genre="reel", seed=11)
    free = GenerationRequest(meter="4/4", genre="reel", seed=11, form=None)
    planned = GenerationRequest(meter="4/4", genre="reel", seed=11, form=FormPlan())
    tokens = [step.token for step in shipped.generate(plain)]
    assert [step.token for step in shipped.generate(free)] == tokens
    assert [step.token for step in shipped.generate(planned)] != tokens


def test_the_a_part_ends_on_a_cadence(shipped: Generator) -> None:
    """The A part's last note is the tonic or the dominant in most tunes (without the steering
    15 of these 20 are; with it 19)."""
    cadences = 0
    for genre, meter, _ in DANCES:
        for seed in range(5):
            request = GenerationRequest(
                key="C", meter=meter, genre=genre, seed=seed, form=default_form(genre)
            )
            last = list(shipped.generate(request))[-1]
            parts = read_form(last.normalised_body or "", meter, "1/8", "C")
            pitches = [pitch for pitch, _ in parts[0].notes() if pitch >= 0]
            cadences += pitches[-1] % 12 in (0, 7)
    assert cadences >= 18
