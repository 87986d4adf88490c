"""Pre-LN Transformer decoder layer: causal self-attention, cross-attention, feed-forward.

``call`` processes a whole sequence (training, scoring); ``step`` processes one new position
against a self-attention key/value cache of fixed length, so the step has one shape for every
position and compiles once.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from composeium_desktop.core.model.layers.attention import MultiHeadAttention  # noqa: E402
from composeium_desktop.core.model.layers.feed_forward import FeedForward  # noqa: E402


@keras.saving.register_keras_serializable(package="composeium")
class DecoderLayer(keras.layers.Layer):
    """x + CausalSelfAttn(LN(x)); x + CrossAttn(LN(x), memory); x + FFN(LN(x))."""

    def __init__(
        self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_ff = d_ff
        self.dropout = dropout
        self.self_attention_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="self_attention_norm"
        )
        self.self_attention = MultiHeadAttention(d_model, num_heads, dropout, name="self_attention")
        self.cross_attention_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="cross_attention_norm"
        )
        self.cross_attention = MultiHeadAttention(
            d_model, num_heads, dropout, name="cross_attention"
        )
        self.ffn_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="ffn_norm")
        self.ffn = FeedForward(d_model, d_ff, dropout, name="ffn")
        self.dropout_layer = keras.layers.Dropout(dropout)

    def build(self, x_shape: Any, memory_shape: Any = None) -> None:
        for layer in (
            self.self_attention_norm,
            self.self_attention,
            self.cross_attention_norm,
            self.ffn_norm,
            self.ffn,
        ):
            layer.build(x_shape)
        self.cross_attention.build(x_shape, memory_shape or x_shape)
        self.built = True

    def _residual(self, x: Any, update: Any, training: bool) -> Any:
        return x + self.dropout_layer(update, training=training)

    def call(self, x: Any, memory: Any, memory_mask: Any, training: bool = False) -> Any:
        """Full sequence: x [B, T, D], memory [B, M, D], memory_mask [B, M] (True = real)."""
        length = ops.shape(x)[1]
        positions = ops.arange(length)
        causal = ops.expand_dims(positions, 1) >= ops.expand_dims(positions, 0)
        h = self.self_attention_norm(x)
        x = self._residual(
            x, self.self_attention(h, h, causal[None, None], training=training), training
        )
        h = self.cross_attention_norm(x)
        x = self._residual(
            x,
            self.cross_attention(h, memory, memory_mask[:, None, None, :], training=training),
            training,
        )
        return self._residual(x, self.ffn(self.ffn_norm(x), training=training), training)

    def step_key_value(self, x: Any) -> tuple[Any, Any, Any]:
        """One new position x [B, 1, D] -> (normed x, key, value [B, H, 1, hd]) for the cache."""
        h = self.self_attention_norm(x)
        key, value = self.self_attention.key_value(h)
        return h, key, value

    def step_attend(
        self,
        x: Any,
        h: Any,
        position: Any,
        self_key: Any,
        self_value: Any,
        cross_key: Any,
        cross_value: Any,
        memory_mask: Any,
    ) -> Any:
        """Finishes the step once the cache [B, H, L, hd] holds this position's key/value.

        Attends over the whole fixed-length cache with positions after ``position`` masked, so
        every position has the same shapes.
        """
        visible = ops.arange(ops.shape(self_key)[2]) <= position
        x = x + self.self_attention.attend(h, self_key, self_value, visible[None, None, None, :])
        h = self.cross_attention_norm(x)
        x = x + self.cross_attention.attend(
            h, cross_key, cross_value, memory_mask[:, None, None, :]
        )
        return x + self.ffn(self.ffn_norm(x))

    def compute_output_shape(self, x_shape: Any, memory_shape: Any = None) -> tuple:
        return tuple(x_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff, dropout=self.dropout
        )
        return config
