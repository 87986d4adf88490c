"""Embeddings of the decoder's metric-position features, summed into one vector per token."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import ops  # noqa: E402


@keras.saving.register_keras_serializable(package="composeium")
class MetricEmbedding(keras.layers.Layer):
    """``call(features int32 [..., F]) -> [..., d_model]``: one table per feature, summed,
    times ``scale``.

    The tables start at zero, so adding this layer to a trained model leaves its outputs
    unchanged until training teaches it what the features mean (warm starts stay warm).
    ``scale`` (sqrt(d_model), as for the token embeddings) only changes how fast training moves
    the output: Adam steps each table entry by about the learning rate whatever its scale."""

    def __init__(
        self, sizes: Sequence[int], d_model: int, scale: float = 1.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.sizes = [int(s) for s in sizes]
        self.d_model = d_model
        self.scale = float(scale)

    def build(self, input_shape: Any = None) -> None:
        self.tables = [
            self.add_weight(name=f"table_{i}", shape=(size, self.d_model), initializer="zeros")
            for i, size in enumerate(self.sizes)
        ]
        self.built = True

    def call(self, features: Any) -> Any:
        features = ops.cast(features, "int32")
        out = ops.take(self.tables[0], features[..., 0], axis=0)
        for i, table in enumerate(self.tables[1:], start=1):
            out = out + ops.take(table, features[..., i], axis=0)
        return out * self.scale if self.scale != 1.0 else out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], self.d_model)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(sizes=list(self.sizes), d_model=self.d_model, scale=self.scale)
        return config
