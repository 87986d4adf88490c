"""Position-wise feed-forward block: Dense(d_ff, gelu) -> dropout -> Dense(d_model)."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402


@keras.saving.register_keras_serializable(package="composeium")
class FeedForward(keras.layers.Layer):
    """The two-layer MLP applied to every position independently."""

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.d_model = d_model
        self.d_ff = d_ff
        self.dropout = dropout
        self.inner = keras.layers.Dense(d_ff, activation="gelu", name="inner")
        self.outer = keras.layers.Dense(d_model, name="outer")
        self.dropout_layer = keras.layers.Dropout(dropout)

    def build(self, input_shape: Any) -> None:
        self.inner.build(input_shape)
        self.outer.build((*input_shape[:-1], self.d_ff))
        self.built = True

    def call(self, x: Any, training: bool = False) -> Any:
        return self.outer(self.dropout_layer(self.inner(x), training=training))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(d_model=self.d_model, d_ff=self.d_ff, dropout=self.dropout)
        return config
