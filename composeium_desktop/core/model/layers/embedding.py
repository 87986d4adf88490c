"""Token embedding plus sinusoidal positions; doubles as the tied output projection."""

from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import ops  # noqa: E402


def sinusoidal_positions(positions: Any, d_model: int) -> Any:
    """Sine/cosine encodings [..., d_model] for integer positions of any shape."""
    half = d_model // 2
    inv_freq = ops.exp(ops.arange(half, dtype="float32") * (-math.log(10000.0) / max(half - 1, 1)))
    angles = ops.expand_dims(ops.cast(positions, "float32"), -1) * inv_freq
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


@keras.saving.register_keras_serializable(package="composeium")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Scaled token embeddings plus sinusoidal positions.

    With ``tie_output=True`` the layer also owns an output bias and ``project`` maps hidden
    states back to vocabulary logits through the transposed embedding matrix, which halves
    the parameters spent on the vocabulary.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        dropout: float = 0.0,
        tie_output: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if d_model % 2:
            raise ValueError("d_model must be even for sinusoidal positions")
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.dropout = dropout
        self.tie_output = tie_output
        self.dropout_layer = keras.layers.Dropout(dropout)
        self.scale = math.sqrt(d_model)

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocab_size, self.d_model),
            initializer=keras.initializers.RandomNormal(stddev=self.d_model**-0.5),
        )
        if self.tie_output:
            self.output_bias = self.add_weight(
                name="output_bias", shape=(self.vocab_size,), initializer="zeros"
            )
        self.built = True

    def call(self, ids: Any, start: Any = 0, training: bool = False) -> Any:
        """Embeds ids [B, T] at positions start, start+1, ... -> [B, T, d_model]."""
        x = ops.take(self.embeddings, ops.cast(ids, "int32"), axis=0) * self.scale
        positions = ops.arange(ops.shape(ids)[1], dtype="int32") + ops.cast(start, "int32")
        x = x + ops.cast(sinusoidal_positions(positions, self.d_model), x.dtype)
        return self.dropout_layer(x, training=training)

    def project(self, hidden: Any) -> Any:
        """Logits [..., vocab] from hidden states [..., d_model] (tied weights)."""
        weights = ops.cast(self.embeddings, hidden.dtype)
        logits = ops.matmul(hidden, ops.transpose(weights)) + ops.cast(
            self.output_bias, hidden.dtype
        )
        return ops.cast(logits, "float32")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape, self.d_model)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            d_model=self.d_model,
            dropout=self.dropout,
            tie_output=self.tie_output,
        )
        return config
