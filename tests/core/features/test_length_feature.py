"""The intended length of a tune: the decoder's bars-to-go feature, the corpus's length table,
training examples with and without their length, and requests that ask for a length."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.cli import main
from composeium_desktop.core.corpus.lengths import LENGTHS_FILE, MIN_TUNES, LengthTable
from composeium_desktop.core.features.metric import (
    FEATURE_SIZES,
    MAX_BARS,
    POSITION_FEATURES,
    MetricTracker,
    body_bars,
    sequence_features,
)
from composeium_desktop.core.generation.request import GenerationRequest, validate_request

TO_GO = 4


def test_bars_to_go_counts_down_to_the_intended_length() -> None:
    pieces = ["AB", "cd|", "AB", "cd|", "AB", "cd|]"]
    rows = sequence_features(pieces, "2/4", total_bars=3)
    assert rows.shape == (len(pieces) + 1, len(FEATURE_SIZES))
    # 1 + bars left: 3 at the start, 2 after the first bar line, ... 0 after the last.
    assert rows[:, TO_GO].tolist() == [4, 4, 3, 3, 2, 2, 1]
    # The other features do not depend on the length.
    plain = sequence_features(pieces, "2/4")
    np.testing.assert_array_equal(rows[:, :POSITION_FEATURES], plain[:, :POSITION_FEATURES])
    assert plain[:, TO_GO].tolist() == [0] * 7  # no length given: "unknown"
    # Written past the length, the feature stays at "none left"; long tunes are capped.
    over = sequence_features(pieces, "2/4", total_bars=1)
    assert over[:, TO_GO].tolist() == [2, 2, 1, 1, 1, 1, 1]
    assert sequence_features([], "2/4", total_bars=500)[0, TO_GO] == 1 + MAX_BARS


def test_body_bars_counts_what_the_feature_counts() -> None:
    assert body_bars("AB cd|AB cd|AB cd|]", "2/4") == 3
    assert body_bars("|:AB cd:|\n|:ef ga:|", "2/4") == 2
    assert body_bars("A|BA cd|", "2/4") == 2  # a pickup is a bar line like any other
    assert body_bars("AB cd]", "2/4") is None  # unreadable text has no length
    end = MetricTracker.start("2/4", total_bars=3).feed("AB cd|AB cd|AB cd|]")
    assert end.bars_completed == 3 and end.features[TO_GO] == 1
    unreadable = MetricTracker.start("2/4", total_bars=3).feed("AB cd]")
    assert unreadable.features == (0,) * len(FEATURE_SIZES)


def _table() -> LengthTable:
    rows = [("6/8", "jig", 16)] * 30 + [("6/8", "jig", 32)] * 10
    rows += [("6/8", "slide", 8)] * 3 + [("2/4", "polka", 12)] * 25 + [("6/8", "jig", None)]
    return LengthTable.from_lengths(rows)


def test_length_table_draws_like_the_corpus_with_fallbacks(tmp_path: Path) -> None:
    table = _table()
    assert table.choices("6/8", "jig") == Counter({16: 30, 32: 10})
    # Too few slides: every 6/8 tune; no 9/8 tune at all: every tune.
    assert table.choices("6/8", "slide") == Counter({16: 30, 32: 10, 8: 3})
    assert sum(table.choices("9/8", "slip jig").values()) == 68 >= MIN_TUNES
    draws = Counter(table.draw("6/8", "jig", np.random.default_rng(s)) for s in range(400))
    assert set(draws) == {16, 32}
    assert 0.65 < draws[16] / 400 < 0.85  # 30 of 40 tunes
    same = [table.draw("6/8", "jig", np.random.default_rng(7)) for _ in range(3)]
    assert len(set(same)) == 1  # seeded
    table.save(tmp_path / LENGTHS_FILE)
    assert LengthTable.load_beside(tmp_path).counts == table.counts
    assert LengthTable.load_beside(tmp_path / "elsewhere") is None
    assert LengthTable({}).draw("6/8", "jig", np.random.default_rng(0)) is None


def test_training_examples_carry_their_length_except_a_fixed_share() -> None:
    from composeium_desktop.core.model.testing import _tiny_tokenizer_dir, tiny_records
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab
    from composeium_desktop.core.training.data import encode_record, length_hidden

    tokenizer = ABCTokenizer.load(_tiny_tokenizer_dir())
    meta_vocab = MetadataVocab.load(_tiny_tokenizer_dir())
    records = tiny_records()
    shown = [r for r in records if not length_hidden(r.body)]
    assert 0 < len(records) - len(shown) < len(records) / 2
    record = shown[0]
    _, body, metric = encode_record(record, tokenizer, meta_vocab, 512)
    total = body_bars(record.body, record.meter)
    assert total is not None and total > 4
    assert metric[0, TO_GO] == 1 + total  # read with BOS: the whole tune to go
    assert metric[-1, TO_GO] <= 2  # the last token is read in the last bar or after it
    assert np.all(np.diff(metric[:, TO_GO]) <= 0)
    _, _, unknown = encode_record(record, tokenizer, meta_vocab, 512, known_length=False)
    assert not unknown[:, TO_GO].any()
    np.testing.assert_array_equal(unknown[:, :TO_GO], metric[:, :TO_GO])
    hidden = next(r for r in records if length_hidden(r.body))
    assert not encode_record(hidden, tokenizer, meta_vocab, 512)[2][:, TO_GO].any()


def test_a_model_without_the_length_feature_ignores_it_and_a_warm_start_adds_it() -> None:
    import keras

    from composeium_desktop.core.model import build_model
    from composeium_desktop.core.model.config import TransformerConfig
    from composeium_desktop.core.model.testing import randomize_metric_tables, tiny_config
    from composeium_desktop.core.training.runtime import copy_matching_weights

    legacy_config = replace(tiny_config(60, 40), length_feature=False, form_features=False)
    assert TransformerConfig.from_dict({"metric_features": True}).length_feature is False
    keras.utils.set_random_seed(1)
    legacy = build_model(legacy_config)
    randomize_metric_tables(legacy, 1)
    assert len(legacy.metric_embedding.tables) == POSITION_FEATURES
    meta = np.array([[3, 4, 5, 0]], np.int32)
    body = np.array([[2, 7, 8, 9]], np.int32)
    metric = np.array([[[5, 6, 7, 8, 9]] * 4], np.int32)
    moved = metric.copy()
    moved[..., TO_GO] = 3
    before = np.asarray(legacy({"meta": meta, "body": body, "metric": metric}))
    np.testing.assert_array_equal(
        before, np.asarray(legacy({"meta": meta, "body": body, "metric": moved}))
    )
    grown = build_model(replace(legacy_config, length_feature=True))
    copied, fresh = copy_matching_weights(legacy, grown)
    assert copied == len(legacy.weights) and fresh == [f"metric_embedding/table_{TO_GO}"]
    # The new table starts at zero: the grown model computes what the old one did...
    np.testing.assert_allclose(
        np.asarray(grown({"meta": meta, "body": body, "metric": metric})), before, atol=1e-6
    )
    # ... until it has learnt what the bars to go mean.
    randomize_metric_tables(grown, 2)
    a = np.asarray(grown({"meta": meta, "body": body, "metric": metric}))
    b = np.asarray(grown({"meta": meta, "body": body, "metric": moved}))
    assert np.abs(a - b).max() > 1e-3


def test_scaled_feature_embeddings_warm_start_from_unscaled_ones(tmp_path: Path) -> None:
    import math

    import keras

    from composeium_desktop.core.model import build_model, load_model
    from composeium_desktop.core.model.config import TransformerConfig
    from composeium_desktop.core.model.storage import save_model
    from composeium_desktop.core.model.testing import randomize_metric_tables, tiny_config
    from composeium_desktop.core.training.runtime import copy_matching_weights

    # Models saved before the scale existed load unscaled; new ones are scaled like tokens.
    assert TransformerConfig.from_dict({"metric_features": True}).metric_scaled is False
    assert TransformerConfig().metric_scaled is True
    unscaled_config = replace(tiny_config(60, 40), metric_scaled=False)
    keras.utils.set_random_seed(4)
    unscaled = build_model(unscaled_config)
    randomize_metric_tables(unscaled, 4)
    scaled = build_model(replace(unscaled_config, metric_scaled=True))
    scale = scaled.metric_embedding.scale
    assert unscaled.metric_embedding.scale == 1.0 and scale == pytest.approx(math.sqrt(32))
    copied, fresh = copy_matching_weights(unscaled, scaled)
    assert copied == len(unscaled.weights) and fresh == []
    # The tables are divided by the scale: the scaled model computes what the unscaled did.
    np.testing.assert_allclose(
        np.asarray(scaled.metric_embedding.tables[0]) * scale,
        np.asarray(unscaled.metric_embedding.tables[0]),
        rtol=1e-6,
    )
    inputs = {
        "meta": np.array([[3, 4, 5, 0]], np.int32),
        "body": np.array([[2, 7, 8, 9]], np.int32),
        "metric": np.array(
            [
                [
                    [5, 6, 7, 8, 9, 1, 2, 3, 4],
                    [1, 2, 3, 4, 5, 2, 1, 1, 1],
                    [9, 9, 9, 9, 9, 3, 3, 3, 3],
                    [0] * 9,
                ]
            ]
        ),
    }
    before = np.asarray(unscaled(inputs))
    np.testing.assert_allclose(np.asarray(scaled(inputs)), before, atol=1e-5)
    # The scale is part of the saved model.
    save_model(scaled, tmp_path)
    again = load_model(tmp_path)
    assert again.config.metric_scaled and again.metric_embedding.scale == pytest.approx(scale)
    np.testing.assert_allclose(np.asarray(again(inputs)), before, atol=1e-5)


# Requests.


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory):
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return Generator.load(make_tiny_model_dir(tmp_path_factory.mktemp("tiny-length")))


@pytest.mark.parametrize("bars", [0, -3, MAX_BARS + 1])
def test_a_length_out_of_range_is_refused(bars: int) -> None:
    with pytest.raises(ValueError, match="bars must be between 1 and 126"):
        validate_request(GenerationRequest(bars=bars))


def test_generate_command_refuses_a_bad_length(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--bars", "0"]) == 2
    assert "bars must be between" in capsys.readouterr().err


def test_a_request_without_a_length_gets_one_drawn_like_the_corpus(generator) -> None:
    request = GenerationRequest(key="G", meter="6/8", genre="jig", seed=5, max_tokens=40)
    drawn = [
        list(generator.generate(replace(request, seed=s)))[-1].intended_bars for s in range(12)
    ]
    allowed = generator.lengths.choices("6/8", "jig")
    assert all(bars in allowed for bars in drawn)
    assert len(set(drawn)) > 1
    again = list(generator.generate(replace(request, seed=0)))[-1].intended_bars
    assert again == drawn[0]  # the same seed draws the same length
    asked = list(generator.generate(replace(request, bars=40)))[-1]
    assert asked.intended_bars == 40


def _run_after(generator, text: str, bars: int | None):
    from composeium_desktop.core.generation.tune_run import TuneRun

    request = GenerationRequest(key="C", meter="2/4", genre="polka", seed=0, bars=bars)
    run = TuneRun(generator, request, validate_request(request), lambda: False)
    for position, token in enumerate(generator.tokenizer.encode(text), start=1):
        run.text.accept(token, position)
    return run


def test_a_length_the_user_asks_for_is_kept_by_constrained_decoding(generator) -> None:
    """Asked for 6 bars, a constrained tune may not end (end token or "|]") after 5, where
    one without a length may; after the sixth bar it may end."""
    eos = generator.eos_id
    (final_bar,) = generator.tokenizer.encode("|]")
    four = "CD EC|DE FG|EF GA|GF ED|"
    five = four + "DE DC:|"
    assert _run_after(generator, five, None)._valid(eos)
    assert not _run_after(generator, five, 6)._valid(eos)
    assert _run_after(generator, five + "C4:|", 6)._valid(eos)
    open_fifth = four + "DE DC"
    assert _run_after(generator, open_fifth, None)._valid(final_bar)
    assert not _run_after(generator, open_fifth, 6)._valid(final_bar)
    assert _run_after(generator, open_fifth + "|C4", 6)._valid(final_bar)
    # A drawn length is a hint to the model, not a rule.
    drawn = _run_after(generator, five, None)
    assert drawn.intended_bars is not None and drawn.intended_bars != 5
    assert drawn._valid(eos)


def test_a_tune_asked_for_eight_bars_has_eight(generator) -> None:
    """Past the asked length the last bar is steered to an ending, so the tune stops there
    (the tiny random model left alone runs on for 30 bars and more)."""
    for seed in range(6):
        request = GenerationRequest(key="D", meter="2/4", genre="polka", seed=seed, bars=8)
        tune = list(generator.generate(request))[-1]
        assert body_bars(tune.normalised_body, "2/4") == 8, tune.normalised_body
        assert tune.body.rstrip().endswith(("|]", ":|"))


def test_a_drawn_length_is_overrun_by_one_bar_at_most(generator) -> None:
    """Told it is done, a model that cannot end on the tonic there would wander on (the
    shipped stage-4 model's constrained tunes had a median of 58 bars against the corpus's
    17); past the drawn length the next bar is steered to an ending."""
    intended = []
    for seed in range(6):
        request = GenerationRequest(key="D", meter="2/4", genre="polka", seed=seed)
        tune = list(generator.generate(request))[-1]
        written = body_bars(tune.normalised_body, "2/4")
        assert written <= tune.intended_bars + 1, (written, tune.intended_bars)
        intended.append(tune.intended_bars)
    # Without a length (no table to draw from) the same tiny random model runs on longer.
    table, generator.lengths = generator.lengths, None
    try:
        free = [
            list(generator.generate(replace(request, seed=s)))[-1].normalised_body for s in range(6)
        ]
    finally:
        generator.lengths = table
    assert max(body_bars(body, "2/4") for body in free) > max(intended) + 1
