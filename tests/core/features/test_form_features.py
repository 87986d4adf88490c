"""Where the text stands in the tune's form: the decoder's part, bar-in-part, bars-to-go-in-part
and ending features, read from bar lines by the notation core, the same in training and in
generation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.abcnotation import BarTracker
from composeium_desktop.core.abcnotation.form import read_form
from composeium_desktop.core.features.metric import (
    FEATURE_SIZES,
    LENGTH_FEATURES,
    MetricTracker,
    feature_sizes,
    form_bars,
    sequence_features,
)

PART, PART_BAR, PART_TO_GO, ENDING = 5, 6, 7, 8
WITH_ENDINGS = "D|:A2B c2d|e2f g2a|b2a g2f|1e3 d2D:|2e3 d3||\n|:f2g a2b|c2d e2f|g3 f3|e3 d3:|"


def test_the_core_counts_parts_bars_and_endings_as_a_musician_does() -> None:
    tracker = BarTracker.start("6/8", "1/8", strict=False)
    # The pickup is no bar of the part.
    assert tracker.feed("D|").form_position == (0, 0, "", False)
    assert tracker.feed("D|:A2B c2d|e2f g2a|").form_position == (0, 2, "", False)
    first = tracker.feed("D|:A2B c2d|e2f g2a|b2a g2f|1e3 d2D")
    assert first.form_position == (0, 3, "1", False)
    closed = first.feed(":|")
    assert closed.form_position == (0, 4, "", True)  # a second ending may follow
    # The second ending replaces the first: it counts from where the first began.
    second = closed.feed("2e3 d3")
    assert second.form_position == (0, 3, "2", False)
    b_part = second.feed("||\n|:f2g a2b|")
    assert b_part.form_position == (1, 1, "", False)
    assert tracker.feed(WITH_ENDINGS).form_position == (2, 0, "", False)
    assert tracker.feed(WITH_ENDINGS).part_bars == (4, 4, 0)
    two_four = BarTracker.start("2/4", "1/8", strict=False)
    # Music after a first ending with no second: the part had ended at its repeat.
    assert two_four.feed("|:AB cd|1ef ga:|ef ga|").form_position == (1, 1, "", False)
    # An opening repeat after plain bars starts a new part; at the start it starts the first.
    assert two_four.feed("|:AB cd|ef ga|:ga fe|").form_position == (1, 1, "", False)


def test_form_bars_agrees_with_the_form_reader() -> None:
    assert form_bars(WITH_ENDINGS, "6/8") == (4, 4)
    jig = (Path(__file__).parents[2] / "data" / "test_jig.abc").read_text()
    body = jig.split("K:G\n", 1)[1]
    parts = read_form(body, "6/8", "1/8", "G")
    assert form_bars(body, "6/8") == tuple(part.bar_count for part in parts) == (4, 3)
    assert form_bars("AB cd]", "2/4") is None  # unreadable


def test_part_features_count_down_each_part_of_the_plan() -> None:
    pieces = ["|:", "AB", "cd|", "AB", "cd:|", "|:", "ef", "ga|", "ef", "g2:|"]
    rows = sequence_features(pieces, "2/4", total_bars=4, parts=(2, 2))
    assert rows.shape == (len(pieces) + 1, len(FEATURE_SIZES))
    assert rows[:, PART].tolist() == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert rows[:, PART_BAR].tolist() == [1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 1]
    # 1 + bars left in the part; past the plan's last part: unknown.
    assert rows[:, PART_TO_GO].tolist() == [3, 3, 3, 2, 2, 3, 3, 3, 2, 2, 0]
    assert rows[:, ENDING].tolist() == [1] * 11
    # Without a plan the position in the form is still known, the bars to go are not.
    free = sequence_features(pieces, "2/4")
    np.testing.assert_array_equal(free[:, [PART, PART_BAR, ENDING]], rows[:, [5, 6, 8]])
    assert not free[:, PART_TO_GO].any()
    # The features before them do not depend on the form.
    np.testing.assert_array_equal(free[:, : LENGTH_FEATURES - 1], rows[:, : LENGTH_FEATURES - 1])


def test_endings_are_told_apart() -> None:
    pieces = ["|:", "AB", "cd|", "[1", "AB", "c2", ":|", "[2", "AB", "d2", "|]"]
    rows = sequence_features(pieces, "2/4", parts=(2,))
    assert rows[:, ENDING].tolist() == [1, 1, 1, 1, 2, 2, 2, 4, 3, 3, 3, 1]
    # The second ending is bar 2 of the part again, as the first was.
    assert rows[-2, PART_BAR] == rows[6, PART_BAR] == 2
    unreadable = MetricTracker.start("2/4", parts=(8, 8)).feed("AB cd]")
    assert unreadable.features == (0,) * len(FEATURE_SIZES)


def test_a_decoder_reads_a_prefix_of_the_row() -> None:
    assert feature_sizes(False, True, True) == ()
    assert len(feature_sizes(True, False, False)) == LENGTH_FEATURES - 1
    assert len(feature_sizes(True, True, False)) == LENGTH_FEATURES
    assert feature_sizes(True, True, True) == FEATURE_SIZES
    assert len(feature_sizes(True, False, True)) == LENGTH_FEATURES - 1


def test_training_gives_each_tune_its_own_parts_unless_its_length_is_hidden() -> None:
    from composeium_desktop.core.model.testing import tiny_records
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab
    from composeium_desktop.core.training.data import encode_record, length_hidden

    tokenizer_dir = Path(__file__).parents[3] / "model" / "tokenizer"
    tokenizer = ABCTokenizer.load(tokenizer_dir)
    meta_vocab = MetadataVocab.load(tokenizer_dir)
    records = tiny_records()
    record = next(r for r in records if not length_hidden(r.body) and form_bars(r.body, r.meter))
    _, _, metric = encode_record(record, tokenizer, meta_vocab, 512)
    parts = form_bars(record.body, record.meter)
    assert parts is not None
    assert metric[0, PART_TO_GO] == 1 + parts[0]
    expected = sequence_features(
        [tokenizer.pieces[i] for i in tokenizer.encode(record.body)],
        record.meter,
        None,
        None,
    )
    _, _, hidden = encode_record(record, tokenizer, meta_vocab, 512, known_length=False)
    assert not hidden[:, PART_TO_GO].any()
    np.testing.assert_array_equal(hidden, expected[: len(hidden)])


def test_generation_tells_the_decoder_the_requested_form() -> None:
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.form_plan import FormPlan
    from composeium_desktop.core.generation.request import GenerationRequest, validate_request
    from composeium_desktop.core.generation.tune_run import TuneRun
    from composeium_desktop.paths import model_dir

    generator = Generator.load(model_dir())
    request = GenerationRequest(
        key="D", meter="6/8", genre="jig", seed=0, form=FormPlan("AABB", 8, pickup=False)
    )
    run = TuneRun(generator, request, validate_request(request), lambda: False)
    assert run.text.metric.parts == (8, 8)
    assert run.text.metric.features[PART : ENDING + 1] == (1, 1, 9, 1)
    free = replace(request, form=None)
    run = TuneRun(generator, free, validate_request(free), lambda: False)
    assert run.text.metric.parts is None


def test_a_decoder_without_form_features_warm_starts_into_one_that_has_them() -> None:
    import keras

    from composeium_desktop.core.model import build_model
    from composeium_desktop.core.model.config import TransformerConfig
    from composeium_desktop.core.model.testing import randomize_metric_tables, tiny_config
    from composeium_desktop.core.training.runtime import copy_matching_weights

    assert TransformerConfig.from_dict({"metric_features": True}).form_features is False
    legacy_config = replace(tiny_config(60, 40), form_features=False)
    keras.utils.set_random_seed(3)
    legacy = build_model(legacy_config)
    randomize_metric_tables(legacy, 3)
    assert len(legacy.metric_embedding.tables) == LENGTH_FEATURES
    inputs = {
        "meta": np.array([[3, 4, 5, 0]], np.int32),
        "body": np.array([[2, 7, 8, 9]], np.int32),
        "metric": np.array([[[5, 6, 7, 8, 9, 1, 2, 3, 1]] * 4], np.int32),
    }
    moved = {**inputs, "metric": inputs["metric"].copy()}
    moved["metric"][..., PART_TO_GO] = 7
    before = np.asarray(legacy(inputs))
    np.testing.assert_array_equal(before, np.asarray(legacy(moved)))  # it ignores them
    grown = build_model(replace(legacy_config, form_features=True))
    copied, fresh = copy_matching_weights(legacy, grown)
    assert copied == len(legacy.weights)
    assert fresh == [f"metric_embedding/table_{i}" for i in range(PART, ENDING + 1)]
    np.testing.assert_allclose(np.asarray(grown(inputs)), before, atol=1e-6)
    randomize_metric_tables(grown, 4)
    assert np.abs(np.asarray(grown(inputs)) - np.asarray(grown(moved))).max() > 1e-3


@pytest.mark.parametrize("body", [WITH_ENDINGS, "|:AB cd|ef ga:|\n|:AB cd|1cd ef:|2dc BA|]"])
def test_whole_and_piecewise_text_give_the_same_form_position(body: str) -> None:
    whole = BarTracker.start("2/4", "1/8", strict=False).feed(body)
    tracker = BarTracker.start("2/4", "1/8", strict=False)
    for char in body:
        tracker = tracker.feed(char)
    assert tracker.form_position == whole.form_position
    assert tracker.part_bars == whole.part_bars
