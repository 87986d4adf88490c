"""The two one-token decoding steps behind ``Generator``: the NumPy decoder (default) and the
XLA-compiled Keras step over a key/value cache held in variables.

``checked_numpy_decoder`` builds the NumPy decoder from a loaded model and keeps it only if its
logits reproduce the Keras forward pass on a probe (else the caller uses the XLA step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import FEATURE_SIZES, UNKNOWN


class CompiledStep:
    """The model's one-token step compiled with XLA over a key/value cache held in variables:
    only the token and position go in and only the logits come out, so no cache tensors cross
    the call boundary (the step updates its own cache in place). One per cache length."""

    def __init__(self, model: Any, size: int) -> None:
        self.model = model
        self.size = size
        self.self_kv: Any = None
        self.cross_kv: Any = None
        self.meta_mask: Any = None
        self._compiled: Any = None

    def load(self, cache: dict[str, Any]) -> None:
        """Take a fresh cache from ``Seq2SeqTransformer.start_decoding``."""
        import tensorflow as tf

        if self.self_kv is None:
            self.self_kv = tf.Variable(cache["self_kv"], trainable=False)
            self.cross_kv = tf.Variable(cache["cross_kv"], trainable=False)
            self.meta_mask = tf.Variable(cache["meta_mask"], trainable=False)
            self._compiled = tf.function(self._step, jit_compile=True, reduce_retracing=False)
        else:
            self.self_kv.assign(cache["self_kv"])
            self.cross_kv.assign(cache["cross_kv"])
            self.meta_mask.assign(cache["meta_mask"])

    def load_grown(self, small: CompiledStep) -> None:
        """Continue from a shorter cache: its keys/values, padded to this length."""
        from keras import ops

        extra = self.size - small.size
        padded = ops.pad(small.self_kv, [[0, 0], [0, 0], [0, 0], [0, 0], [0, extra], [0, 0]])
        self.load({"self_kv": padded, "cross_kv": small.cross_kv, "meta_mask": small.meta_mask})

    def _step(self, token: Any, position: Any, metric: Any) -> Any:
        cache = {
            "self_kv": self.self_kv.read_value(),
            "cross_kv": self.cross_kv.read_value(),
            "meta_mask": self.meta_mask.read_value(),
        }
        logits, new = self.model.decode_step_eager(token, position, cache, metric)
        self.self_kv.assign(new["self_kv"])
        return logits

    def step(self, token: int, position: int, metric: Sequence[int] | None = None) -> np.ndarray:
        import tensorflow as tf

        features = [list(UNKNOWN if metric is None else metric)]
        logits = self._compiled(
            tf.constant([token], dtype=tf.int32),
            tf.constant(position, dtype=tf.int32),
            tf.constant(features, dtype=tf.int32),
        )
        return logits.numpy()[0]


class NumpyStep:
    """A cache handle of the NumPy backend: the decoder's state for one tune, of one length."""

    def __init__(self, decoder: Any, state: Any) -> None:
        self.decoder = decoder
        self.state = state
        self.size = state.size

    def step(self, token: int, position: int, metric: Sequence[int] | None = None) -> np.ndarray:
        return self.decoder.step(self.state, token, position, metric)


BACKENDS = ("numpy", "xla")
# The NumPy step must reproduce the Keras forward pass this closely, else "xla" is used.
NUMPY_CHECK_ATOL = 1e-3


def checked_numpy_decoder(model: Any, bos_id: int) -> Any:
    """The NumPy decoder of `model` if its steps reproduce the Keras forward pass on a probe
    (a few positions, one metadata request), else None (the caller falls back to "xla")."""
    import warnings

    from composeium_desktop.core.model.numpy_decoder import NumpyDecoder

    try:
        decoder = NumpyDecoder.from_model(model)
        meta = np.zeros((1, int(model.config.max_meta_len)), np.int32)
        meta[0, :3] = np.arange(1, 4) % max(int(model.config.meta_vocab_size), 2)
        vocab = int(model.config.vocab_size)
        body = np.array([[bos_id, *(np.arange(3, 7) % vocab)]], np.int32)
        # Every feature at a few different values (ids within each table).
        metric = np.array(
            [
                [
                    [(p * 37 + i * 11) % size for i, size in enumerate(FEATURE_SIZES)]
                    for p in range(5)
                ]
            ],
            np.int32,
        )
        full = np.asarray(model({"meta": meta, "body": body, "metric": metric}))[0]
        state = decoder.start(meta[0], body.shape[1])
        worst = max(
            float(np.abs(decoder.step(state, int(t), p, tuple(metric[0, p])) - full[p]).max())
            for p, t in enumerate(body[0])
        )
    except Exception as exc:  # noqa: BLE001 (any surprise in an unusual model: use XLA)
        warnings.warn(f"NumPy decoder unavailable ({exc}); using the XLA step", stacklevel=3)
        return None
    if not worst <= NUMPY_CHECK_ATOL:
        warnings.warn(
            f"NumPy decoder differs from the model by {worst:.2g}; using the XLA step",
            stacklevel=3,
        )
        return None
    return decoder
