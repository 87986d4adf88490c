"""Greedy decoding two ways: naive (re-runs the whole prefix every token) and cached.

Samplers and constraints live in core.sampling / core.generation; these two loops are the
reference pair used by tests (cached == naive) and by ``composeium bench``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from composeium_desktop.core.model.transformer import Seq2SeqTransformer  # noqa: E402


def _meta_batch(meta_ids: Sequence[int]) -> np.ndarray:
    return np.asarray([list(meta_ids)], dtype="int32")


def greedy_naive(
    model: Seq2SeqTransformer,
    meta_ids: Sequence[int],
    bos_id: int,
    eos_id: int,
    max_tokens: int,
) -> list[int]:
    """Greedy tokens (without BOS/EOS), re-running the full prefix for every new token."""
    import tensorflow as tf

    forward = tf.function(lambda meta, body: model({"meta": meta, "body": body})[:, -1, :])
    meta = _meta_batch(meta_ids)
    tokens = [bos_id]
    for _ in range(max_tokens):
        logits = forward(meta, np.asarray([tokens], dtype="int32"))
        nxt = int(np.argmax(np.asarray(logits)[0]))
        if nxt == eos_id:
            break
        tokens.append(nxt)
    return tokens[1:]


def greedy_cached(
    model: Seq2SeqTransformer,
    meta_ids: Sequence[int],
    bos_id: int,
    eos_id: int,
    max_tokens: int,
) -> list[int]:
    """Greedy tokens (without BOS/EOS) with the compiled cached step."""
    cache = model.start_decoding(_meta_batch(meta_ids), max_tokens + 1)
    token = bos_id
    out: list[int] = []
    for position in range(max_tokens):
        logits, cache = model.decode_step(np.asarray([token], "int32"), position, cache)
        token = int(np.argmax(np.asarray(logits)[0]))
        if token == eos_id:
            break
        out.append(token)
    return out
