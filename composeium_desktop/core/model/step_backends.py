"""The two one-token decoding steps behind ``Generator``: the NumPy decoder (default) and the
XLA-compiled Keras step over a key/value cache held in variables.

``numpy_decoder_for`` builds the NumPy decoder from a model's weights; ``backend_for`` keeps
"numpy" unless the model folder's parity record (``core.model.parity``) says it differs from
the Keras forward pass. Only the XLA step imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import UNKNOWN


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


def numpy_decoder_for(model: Any) -> Any:
    """The NumPy decoder of `model`: a ``weights.ModelFile`` (arrays read from the ``.keras``
    file, no TensorFlow) or a Keras Seq2SeqTransformer in memory. Its agreement with the Keras
    forward pass is checked by the test suite and recorded by ``save_model`` in parity.json
    (``core.model.parity``), not here."""
    from composeium_desktop.core.model.numpy_decoder import NumpyDecoder
    from composeium_desktop.core.model.weights import weights_of

    return NumpyDecoder(weights_of(model))


def backend_for(model_dir: Path, requested: str) -> str:
    """The backend to use for the model in model_dir: `requested`, except "numpy" becomes "xla"
    (with a warning) when the folder's parity record says the NumPy decoder differs from the
    Keras model."""
    import warnings

    from composeium_desktop.core.model.parity import PARITY_FILE, recorded_parity

    if requested != "numpy":
        return requested
    record = recorded_parity(model_dir)
    if record is not None and not record.passed:
        warnings.warn(
            f"{model_dir / PARITY_FILE}: the NumPy decoder differs from the model by "
            f"{record.max_abs_diff:.2g} (> {record.tolerance:g}); using the XLA step",
            stacklevel=3,
        )
        return "xla"
    return requested
