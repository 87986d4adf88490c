"""Samplers: turn one step's logits into a token id (greedy, temperature, top-k, top-p).

Each sampler is a small class over a NumPy logits vector (about 1000 entries), so a step costs
tens of microseconds. A sampler works in two parts so that constrained decoding can reject a
token and draw again from the same distribution without recomputing it:

    probs = sampler.distribution(logits)      # filtered, normalised, float64
    token = sampler.choose(probs, rng)        # one draw (argmax for greedy)
    probs = exclude(probs, token)             # after a rejection: drop it, renormalise

All randomness comes from the caller's seeded ``numpy.random.Generator``, so the same logits
and the same seed give the same tokens.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

# top_p_filter sorts first the tokens with at least this share of the largest probability.
NUCLEUS_SHARE = 1e-4


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Numerically stable softmax in float64; -inf logits get probability 0."""
    scaled = np.array(logits, dtype=np.float64)  # a copy, worked on in place
    if temperature != 1.0:
        scaled /= max(temperature, 1e-6)
    top = float(scaled.max())
    if not math.isfinite(top):
        raise ValueError("all logits are masked")
    scaled -= top
    np.exp(scaled, out=scaled)
    scaled /= scaled.sum()
    return scaled


def log_prob(logits: np.ndarray, token: int) -> float:
    """``log_softmax(logits)[token]`` without the whole vector (one token's log-likelihood)."""
    values = np.asarray(logits, dtype=np.float64)
    top = float(np.max(values))
    return float(values[token]) - top - float(np.log(np.exp(values - top).sum()))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities at temperature 1 (for ranking by model likelihood)."""
    values = np.asarray(logits, dtype=np.float64)
    top = np.max(values)
    return values - top - np.log(np.exp(values - top).sum())


def exclude(probs: np.ndarray, token: int) -> np.ndarray:
    """A copy of `probs` without `token`, renormalised; all zeros when nothing is left."""
    out = probs.copy()
    out[token] = 0.0
    total = out.sum()
    if total > 0.0:
        out /= total
    return out


def draw(probs: np.ndarray, rng: np.random.Generator) -> int:
    """One categorical draw by inverse CDF (faster than ``rng.choice`` for one sample)."""
    cdf = np.cumsum(probs)
    total = cdf[-1]
    if total <= 0.0:
        raise ValueError("empty distribution")
    index = int(np.searchsorted(cdf, rng.random() * total, side="right"))
    return min(index, len(probs) - 1)


class Sampler(ABC):
    """Maps logits to a filtered distribution, and draws one token from it."""

    @abstractmethod
    def distribution(self, logits: np.ndarray) -> np.ndarray:
        """The normalised probabilities this sampler draws from (zeros where filtered out)."""

    def choose(self, probs: np.ndarray, rng: np.random.Generator) -> int:
        """Draw one token id from `probs`."""
        return draw(probs, rng)

    def sample(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        """Convenience: distribution + choose."""
        return self.choose(self.distribution(logits), rng)


class GreedySampler(Sampler):
    """Always the most likely token; after a rejection, the next most likely."""

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits)

    def choose(self, probs: np.ndarray, rng: np.random.Generator) -> int:
        return int(np.argmax(probs))


class TemperatureSampler(Sampler):
    """Draw from softmax(logits / temperature)."""

    def __init__(self, temperature: float = 1.0) -> None:
        if temperature <= 0.0:
            raise ValueError("temperature must be > 0 (use GreedySampler for 0)")
        self.temperature = float(temperature)

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits, self.temperature)


class TopKSampler(TemperatureSampler):
    """Draw among the k most likely tokens only."""

    def __init__(self, k: int, temperature: float = 1.0) -> None:
        super().__init__(temperature)
        if k < 1:
            raise ValueError("top-k needs k >= 1")
        self.k = int(k)

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        probs = super().distribution(logits)
        return top_k_filter(probs, self.k)


class TopPSampler(TemperatureSampler):
    """Nucleus sampling: the smallest set of most likely tokens whose mass reaches p.

    An optional top-k cap is applied first, so one sampler covers the request's
    temperature + top-k + top-p combination.
    """

    def __init__(self, p: float, temperature: float = 1.0, k: int = 0) -> None:
        super().__init__(temperature)
        if not 0.0 < p <= 1.0:
            raise ValueError("top-p needs 0 < p <= 1")
        self.p = float(p)
        self.k = int(k)

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        probs = super().distribution(logits)
        if self.k > 0:
            probs = top_k_filter(probs, self.k)
        return top_p_filter(probs, self.p)


def top_k_filter(probs: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest probabilities (ties at the boundary broken by index), renormalised."""
    if k >= len(probs):
        return probs
    keep = np.argpartition(-probs, k - 1)[:k]
    out = np.zeros_like(probs)
    out[keep] = probs[keep]
    return out / out.sum()


def top_p_filter(probs: np.ndarray, p: float) -> np.ndarray:
    """Keep the most likely tokens until their cumulative mass reaches p, renormalised.

    The order is the stable descending sort of the probabilities (ties by index). Only the
    tokens above a small share of the largest are sorted when they alone reach the mass: they
    are a prefix of that order, so the kept set is the one a sort of all ~1000 would keep, at
    a fraction of the cost (the mass to reach is taken from the whole distribution's sum)."""
    if p >= 1.0:
        return probs
    total = float(probs.sum())
    candidates = np.flatnonzero(probs >= probs.max() * NUCLEUS_SHARE)
    head = probs[candidates]
    if float(head.sum()) >= p * total:
        order = candidates[np.argsort(-head, kind="stable")]
    else:
        order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    cut = int(np.searchsorted(cumulative, p * total, side="left")) + 1
    keep = order[:cut]
    out = np.zeros_like(probs)
    out[keep] = probs[keep]
    return out / out.sum()


def make_sampler(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> Sampler:
    """The sampler for a request's settings: temperature <= 0 means greedy."""
    if temperature <= 0.0:
        return GreedySampler()
    if 0.0 < top_p < 1.0:
        return TopPSampler(top_p, temperature, k=top_k)
    if top_k > 0:
        return TopKSampler(top_k, temperature)
    return TemperatureSampler(temperature)
