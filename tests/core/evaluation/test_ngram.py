"""The character 5-gram baseline: normalised probabilities and sensible bits per character."""

from __future__ import annotations

import math
import random

import pytest

from composeium_desktop.core.evaluation.ngram import END, CharNGram

TUNES = [
    "cdef gabc'|c'bag fedc|cdef gabc'|c'bag fedc|]\n",
    "GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|\n",
    "e2ge agea|e2ge d2Bd|e2ge agea|bgaf g2fe|\n",
    "z4 c2d2|e4 d2c2|B,4 C2D2|E8|]\n",
]


def test_probabilities_sum_to_one_over_the_alphabet() -> None:
    model = CharNGram.train(TUNES, order=5)
    alphabet = [*model.alphabet, "\x00"]
    for history in ("", "cdef", "c'ba", "zzzz", "|\nGA", "B,4 "):
        total = sum(model.prob(history, char) for char in alphabet)
        assert total == pytest.approx(1.0, abs=1e-9)


def test_unseen_characters_get_a_small_positive_probability() -> None:
    model = CharNGram.train(TUNES)
    assert 0 < model.prob("cdef", "Q") < 0.05
    assert math.isfinite(model.bits("Q#@"))


def test_repetitive_text_has_low_bpc_and_random_text_high() -> None:
    repetitive = ["abcd" * 50] * 20
    model = CharNGram.train(repetitive)
    assert 0 < model.bpc(["abcd" * 50]) < 0.1
    rng = random.Random(0)
    noise = ["".join(rng.choice("abcdefgh") for _ in range(200)) for _ in range(40)]
    noisy = CharNGram.train(noise[:30])
    assert 2.5 < noisy.bpc(noise[30:]) < 3.5  # log2(8) = 3 bits of real entropy


def test_seen_text_scores_better_than_shuffled_text() -> None:
    model = CharNGram.train(TUNES * 3)
    shuffled = ["".join(random.Random(1).sample(t, len(t))) for t in TUNES]
    assert model.bpc(TUNES) < model.bpc(shuffled)


def test_end_symbol_is_predicted_and_counted_in_bits_only() -> None:
    model = CharNGram.train(["ab"] * 10)
    expected = -math.log2(model.prob("", "a") * model.prob("a", "b") * model.prob("ab", END))
    assert model.bits("ab") == pytest.approx(expected)
    assert model.bpc(["ab"]) == pytest.approx(expected / 2)


def test_lower_orders_work_and_order_zero_is_rejected() -> None:
    assert CharNGram.train(TUNES, order=1).bpc(TUNES) > CharNGram.train(TUNES, order=3).bpc(TUNES)
    with pytest.raises(ValueError):
        CharNGram(order=0)
