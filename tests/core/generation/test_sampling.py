"""Samplers on stub logits: filtering, determinism, rejection support."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop.core.generation.sampling import (
    GreedySampler,
    TemperatureSampler,
    TopKSampler,
    TopPSampler,
    exclude,
    log_softmax,
    make_sampler,
    softmax,
)

LOGITS = np.log(np.array([0.05, 0.5, 0.2, 0.15, 0.1]))


def test_greedy_picks_argmax_then_next_after_rejection() -> None:
    sampler = GreedySampler()
    rng = np.random.default_rng(0)
    probs = sampler.distribution(LOGITS)
    assert sampler.choose(probs, rng) == 1
    assert sampler.choose(exclude(probs, 1), rng) == 2


def test_top_k_only_draws_among_k_most_likely() -> None:
    sampler = TopKSampler(2)
    rng = np.random.default_rng(1)
    drawn = {sampler.sample(LOGITS, rng) for _ in range(500)}
    assert drawn == {1, 2}
    probs = sampler.distribution(LOGITS)
    assert probs[[0, 3, 4]].sum() == 0.0
    assert probs.sum() == pytest.approx(1.0)
    assert probs[1] / probs[2] == pytest.approx(0.5 / 0.2)


def test_top_p_keeps_smallest_nucleus() -> None:
    probs = TopPSampler(0.8).distribution(LOGITS)
    # 0.5 + 0.2 = 0.7 < 0.8, so the nucleus needs 0.15 too.
    assert set(np.flatnonzero(probs)) == {1, 2, 3}
    assert probs.sum() == pytest.approx(1.0)
    assert set(np.flatnonzero(TopPSampler(0.5).distribution(LOGITS))) == {1}


def test_top_p_with_top_k_cap() -> None:
    probs = TopPSampler(0.99, k=2).distribution(LOGITS)
    assert set(np.flatnonzero(probs)) == {1, 2}


def test_temperature_sharpens_and_flattens() -> None:
    cold = TemperatureSampler(0.25).distribution(LOGITS)
    hot = TemperatureSampler(4.0).distribution(LOGITS)
    assert cold[1] > softmax(LOGITS)[1] > hot[1]
    assert hot.max() - hot.min() < 0.2


def test_temperature_sampling_matches_distribution() -> None:
    rng = np.random.default_rng(2)
    sampler = TemperatureSampler(1.0)
    counts = np.bincount([sampler.sample(LOGITS, rng) for _ in range(20000)], minlength=5)
    np.testing.assert_allclose(counts / counts.sum(), np.exp(LOGITS), atol=0.02)


def test_same_seed_same_tokens_different_seed_differs() -> None:
    logits = np.random.default_rng(5).normal(size=1000)

    def run(seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        sampler = make_sampler(1.0, 0, 0.95)
        return [sampler.sample(logits, rng) for _ in range(50)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_masked_logits_never_drawn() -> None:
    logits = LOGITS.copy()
    logits[1] = -np.inf
    rng = np.random.default_rng(3)
    sampler = TemperatureSampler(1.0)
    assert all(sampler.sample(logits, rng) != 1 for _ in range(300))


def test_exclude_everything_leaves_empty_distribution() -> None:
    probs = TopKSampler(1).distribution(LOGITS)
    empty = exclude(probs, 1)
    assert empty.sum() == 0.0
    with pytest.raises(ValueError):
        TemperatureSampler().choose(empty, np.random.default_rng(0))


def test_make_sampler_choices() -> None:
    assert isinstance(make_sampler(0.0), GreedySampler)
    assert isinstance(make_sampler(1.0, top_k=5, top_p=1.0), TopKSampler)
    assert isinstance(make_sampler(1.0, top_k=0, top_p=0.9), TopPSampler)
    assert type(make_sampler(0.8, 0, 1.0)) is TemperatureSampler


def test_log_softmax_normalised() -> None:
    assert np.exp(log_softmax(LOGITS)).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(log_softmax(LOGITS), np.log(np.exp(LOGITS)))


@pytest.mark.parametrize(
    "bad", [lambda: TemperatureSampler(0.0), lambda: TopKSampler(0), lambda: TopPSampler(0.0)]
)
def test_invalid_settings_rejected(bad) -> None:
    with pytest.raises(ValueError):
        bad()


def _top_p_by_full_sort(probs: np.ndarray, p: float) -> np.ndarray:
    """The nucleus as its definition reads: sort every token, keep the prefix reaching p."""
    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    cut = int(np.searchsorted(cumulative, p * cumulative[-1], side="left")) + 1
    out = np.zeros_like(probs)
    out[order[:cut]] = probs[order[:cut]]
    return out / out.sum()


@pytest.mark.parametrize("spread", [0.1, 1.0, 3.0, 8.0])
@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.999])
def test_top_p_keeps_the_set_a_full_sort_keeps(spread: float, p: float) -> None:
    # Peaked and flat distributions over a model-sized vocabulary, with masked tokens and ties:
    # the fast path (sorting only the likely tokens) and the fallback must both match.
    from composeium_desktop.core.generation.sampling import top_p_filter

    rng = np.random.default_rng(int(spread * 100 + p * 1000))
    for _ in range(50):
        logits = rng.standard_normal(1000) * spread
        logits[rng.random(1000) < 0.2] = -np.inf
        logits[:10] = logits[10]  # a tie group
        probs = softmax(logits)
        fast = top_p_filter(probs, p)
        np.testing.assert_array_equal(fast > 0, _top_p_by_full_sort(probs, p) > 0)
        np.testing.assert_allclose(fast, _top_p_by_full_sort(probs, p), rtol=1e-12, atol=0)


def test_log_prob_is_one_entry_of_log_softmax() -> None:
    from composeium_desktop.core.generation.sampling import log_prob

    rng = np.random.default_rng(3)
    logits = (rng.standard_normal(1000) * 4).astype(np.float32)
    logits[::7] = -np.inf
    full = log_softmax(logits)
    for token in (0, 1, 500, 999):
        assert log_prob(logits, token) == full[token]
