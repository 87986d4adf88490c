"""The decoder's metric-position features: what they say of ABC text, and that training and
generation compute the same ones."""

from __future__ import annotations

import numpy as np

from composeium_desktop.core.features.metric import (
    FEATURE_SIZES,
    MAX_BARS,
    UNKNOWN,
    MetricTracker,
    body_bars,
    form_bars,
    sequence_features,
)

PICKUP = 128  # "the bar may be short" bit of the state feature
CHORD, QUOTE, SLUR, TUPLET, GRACE = 8, 16, 1, 2, 4


def features(meter: str, text: str) -> tuple[int, int, int, int]:
    """The four position features (the fifth, bars to go, is in test_length_feature)."""
    return MetricTracker.start(meter).feed(text).features[:4]


def open_bits(meter: str, text: str) -> int:
    return features(meter, text)[3] - 1


def test_start_of_a_jig() -> None:
    remaining, elapsed, bar, state, to_go = MetricTracker.start("6/8").features[:5]
    assert to_go == 0  # no length given
    assert remaining == 2 + 72  # a 6/8 bar is 72 ticks of 1/96
    assert elapsed == 1 and bar == 1
    assert state == 1 + PICKUP  # the first bar may be a pickup


def test_room_left_follows_the_notes() -> None:
    assert features("6/8", "A2B") == (2 + 36, 1 + 36, 1, 1 + PICKUP)
    # A full bar: the bar count moves on, the next bar is empty and must be full.
    assert features("6/8", "A2B c2d|") == (2 + 72, 1, 2, 1)
    # Triplets and broken rhythm: (3ABC is one quarter, A>B is a quarter.
    assert features("4/4", "(3ABC A>B")[:2] == (2 + 48, 1 + 48)
    assert features("2/4", "A/B/")[:2] == (2 + 36, 1 + 12)


def test_overfull_free_meter_and_open_constructs() -> None:
    assert features("6/8", "A8")[0] == 1
    assert features("none", "ABC")[0] == 0
    assert open_bits("4/4", "AB [CE") & CHORD
    assert open_bits("4/4", 'AB "Am') & QUOTE
    assert open_bits("4/4", "(AB") & SLUR
    assert open_bits("4/4", "(3AB") & TUPLET
    assert open_bits("4/4", "{g") & GRACE
    assert open_bits("4/4", 'AB [CE] "Am"') & (CHORD | QUOTE) == 0


def test_unreadable_text_makes_every_later_feature_unknown() -> None:
    broken = MetricTracker.start("4/4").feed("AB ]")
    assert broken.features == UNKNOWN
    assert broken.feed("c d|").features == UNKNOWN


def test_values_stay_inside_their_tables() -> None:
    long = "|".join(["c8"] * (MAX_BARS + 20)) + "|"
    rows = sequence_features(list(long), "4/4")
    assert rows.shape == (len(long) + 1, len(FEATURE_SIZES))
    for column, size in enumerate(FEATURE_SIZES):
        assert rows[:, column].min() >= 0 and rows[:, column].max() < size
    assert rows[-1, 2] == 1 + MAX_BARS
    wide = sequence_features(["z16", "z16", "z16"], "4/4")
    assert wide[:, 0].max() < FEATURE_SIZES[0]


def test_sequence_features_are_the_incremental_ones() -> None:
    pieces = ["|:", "A2", "B", " c", "2d", "|", "e/f/g", "[CE]", "2|"]
    rows = sequence_features(pieces, "6/8")
    tracker = MetricTracker.start("6/8")
    assert tuple(rows[0]) == tracker.features
    for piece, row in zip(pieces, rows[1:], strict=True):
        tracker = tracker.feed(piece)
        assert tuple(row) == tracker.features
    # Cut anywhere, the same text gives the same features at its end.
    assert tuple(sequence_features(["|:A", "2Bc2d|"], "6/8")[-1]) == tuple(rows[6])


def test_training_examples_carry_the_features(tmp_path) -> None:
    from composeium_desktop.core.model.testing import tiny_records
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab, train_tokenizers
    from composeium_desktop.core.training.data import encode_record, length_hidden

    records = list(tiny_records())
    train_tokenizers(records, tmp_path, vocab_size=160, title_vocab_size=120, seed=0)
    tokenizer, meta_vocab = ABCTokenizer.load(tmp_path), MetadataVocab.load(tmp_path)
    record = records[0]
    _, body, metric = encode_record(record, tokenizer, meta_vocab, 512)
    ids = body[1:-1]
    assert metric.shape == (len(body) - 1, len(FEATURE_SIZES))
    known = not length_hidden(record.body)
    expected = sequence_features(
        [tokenizer.pieces[i] for i in ids],
        record.meter,
        body_bars(record.body, record.meter) if known else None,
        form_bars(record.body, record.meter) if known else None,
    )
    np.testing.assert_array_equal(metric, expected)
    # Cut to a maximum length, the features stay aligned with the input tokens.
    _, short, short_metric = encode_record(record, tokenizer, meta_vocab, 10)
    assert len(short) == 11 and short_metric.shape[0] == 10
    np.testing.assert_array_equal(short_metric, expected[:10])


def test_ticks_round_as_a_fraction_rounds() -> None:
    # Integer arithmetic in place of Fraction's round (half to even), for every length a bar
    # can hold, tuplet and broken-rhythm thirds and halves included, and negative room.
    from fractions import Fraction

    from composeium_desktop.core.features.metric import TICKS_PER_WHOLE, _ticks

    for numerator in range(-300, 300):
        for denominator in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 192, 384, 576, 1152):
            length = Fraction(numerator, denominator)
            assert _ticks(length) == round(length * TICKS_PER_WHOLE), length
