"""Multi-head scaled dot-product attention written with keras.ops.

Keys and values are projected separately from the query (``key_value``) so the decoder can
compute cross-attention keys/values once per tune and append self-attention keys/values to a
cache one position at a time (``attend`` takes them ready-made).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import ops  # noqa: E402

# Large but finite, so rows whose keys are all masked give a uniform softmax, not NaN.
MASK_VALUE = -1e9


@keras.saving.register_keras_serializable(package="composeium")
class MultiHeadAttention(keras.layers.Layer):
    """Attention with fused key/value projection; masks are boolean, True = may attend."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if d_model % num_heads:
            raise ValueError("d_model must be a multiple of num_heads")
        self.d_model = d_model
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.dropout = dropout
        self.query_dense = keras.layers.Dense(d_model, name="query")
        self.key_value_dense = keras.layers.Dense(2 * d_model, name="key_value")
        self.output_dense = keras.layers.Dense(d_model, name="output")
        self.dropout_layer = keras.layers.Dropout(dropout)

    def build(self, query_shape: Any, source_shape: Any = None) -> None:
        self.query_dense.build(query_shape)
        self.key_value_dense.build(source_shape or query_shape)
        self.output_dense.build(query_shape)
        self.built = True

    def _split_heads(self, x: Any) -> Any:
        shape = ops.shape(x)
        x = ops.reshape(x, (shape[0], shape[1], self.num_heads, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))

    def key_value(self, source: Any) -> tuple[Any, Any]:
        """Keys and values [B, H, S, head_dim] of a source sequence [B, S, d_model]."""
        key, value = ops.split(self.key_value_dense(source), 2, axis=-1)
        return self._split_heads(key), self._split_heads(value)

    def attend(
        self, query_input: Any, key: Any, value: Any, mask: Any = None, training: bool = False
    ) -> Any:
        """Attends queries [B, T, d_model] to ready keys/values; mask broadcasts to [B, H, T, S]."""
        query = self._split_heads(self.query_dense(query_input)) * (self.head_dim**-0.5)
        scores = ops.matmul(query, ops.transpose(key, (0, 1, 3, 2)))
        if mask is not None:
            scores = ops.where(mask, scores, ops.cast(MASK_VALUE, scores.dtype))
        weights = self.dropout_layer(ops.softmax(scores, axis=-1), training=training)
        out = ops.transpose(ops.matmul(weights, value), (0, 2, 1, 3))
        shape = ops.shape(out)
        return self.output_dense(ops.reshape(out, (shape[0], shape[1], self.d_model)))

    def call(self, query: Any, source: Any, mask: Any = None, training: bool = False) -> Any:
        key, value = self.key_value(source)
        return self.attend(query, key, value, mask, training=training)

    def compute_output_shape(self, query_shape: Any, source_shape: Any = None) -> tuple:
        return tuple(query_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(d_model=self.d_model, num_heads=self.num_heads, dropout=self.dropout)
        return config
