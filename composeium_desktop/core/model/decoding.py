"""Greedy decoding two ways: naive (re-runs the whole prefix every token) and cached.

Samplers and constraints live in core.sampling / core.generation; these two loops are the
reference pair used by tests (cached == naive) and by ``composeium bench``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from composeium_desktop.core.features.metric import UNKNOWN, MetricTracker  # noqa: E402
from composeium_desktop.core.model.transformer import Seq2SeqTransformer  # noqa: E402


def _meta_batch(meta_ids: Sequence[int]) -> np.ndarray:
    return np.asarray([list(meta_ids)], dtype="int32")


class _Features:
    """Metric features of the tokens written so far (all "unknown" without ``pieces``)."""

    def __init__(self, pieces: Sequence[str] | None, meter: str) -> None:
        self.pieces = pieces
        self.tracker = MetricTracker.start(meter)
        self.rows = [self.tracker.features if pieces is not None else UNKNOWN]

    def add(self, token: int) -> None:
        if self.pieces is None:
            self.rows.append(UNKNOWN)
            return
        self.tracker = self.tracker.feed(self.pieces[token])
        self.rows.append(self.tracker.features)


def greedy_naive(
    model: Seq2SeqTransformer,
    meta_ids: Sequence[int],
    bos_id: int,
    eos_id: int,
    max_tokens: int,
    pieces: Sequence[str] | None = None,
    meter: str = "4/4",
) -> list[int]:
    """Greedy tokens (without BOS/EOS), re-running the full prefix for every new token.
    With the tokenizer's ``pieces`` the model reads each token's metric features in
    ``meter``; without, every feature is "unknown"."""
    import tensorflow as tf

    forward = tf.function(
        lambda meta, body, metric: model({"meta": meta, "body": body, "metric": metric})[:, -1, :]
    )
    meta = _meta_batch(meta_ids)
    tokens = [bos_id]
    features = _Features(pieces, meter)
    for _ in range(max_tokens):
        metric = np.asarray([features.rows], dtype="int32")
        logits = forward(meta, np.asarray([tokens], dtype="int32"), metric)
        nxt = int(np.argmax(np.asarray(logits)[0]))
        if nxt == eos_id:
            break
        tokens.append(nxt)
        features.add(nxt)
    return tokens[1:]


def greedy_cached(
    model: Seq2SeqTransformer,
    meta_ids: Sequence[int],
    bos_id: int,
    eos_id: int,
    max_tokens: int,
    pieces: Sequence[str] | None = None,
    meter: str = "4/4",
) -> list[int]:
    """Greedy tokens (without BOS/EOS) with the compiled cached step (features as in
    ``greedy_naive``)."""
    cache = model.start_decoding(_meta_batch(meta_ids), max_tokens + 1)
    token = bos_id
    out: list[int] = []
    features = _Features(pieces, meter)
    for position in range(max_tokens):
        metric = np.asarray([features.rows[-1]], "int32")
        logits, cache = model.decode_step(np.asarray([token], "int32"), position, cache, metric)
        token = int(np.argmax(np.asarray(logits)[0]))
        if token == eos_id:
            break
        out.append(token)
        features.add(token)
    return out
