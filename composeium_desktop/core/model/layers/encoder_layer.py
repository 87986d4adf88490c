"""Pre-LN Transformer encoder layer: padded self-attention and feed-forward, both residual."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from composeium_desktop.core.model.layers.attention import MultiHeadAttention  # noqa: E402
from composeium_desktop.core.model.layers.feed_forward import FeedForward  # noqa: E402


@keras.saving.register_keras_serializable(package="composeium")
class EncoderLayer(keras.layers.Layer):
    """x + SelfAttn(LN(x)) then x + FFN(LN(x)); ``mask`` [B, M] marks real (non-pad) tokens."""

    def __init__(
        self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_ff = d_ff
        self.dropout = dropout
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="attention_norm")
        self.attention = MultiHeadAttention(d_model, num_heads, dropout, name="self_attention")
        self.ffn_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="ffn_norm")
        self.ffn = FeedForward(d_model, d_ff, dropout, name="ffn")
        self.dropout_layer = keras.layers.Dropout(dropout)

    def build(self, x_shape: Any, mask_shape: Any = None) -> None:
        for layer in (self.attention_norm, self.attention, self.ffn_norm, self.ffn):
            layer.build(x_shape)
        self.built = True

    def call(self, x: Any, mask: Any, training: bool = False) -> Any:
        attention_mask = mask[:, None, None, :]
        h = self.attention_norm(x)
        x = x + self.dropout_layer(
            self.attention(h, h, attention_mask, training=training), training=training
        )
        h = self.ffn_norm(x)
        return x + self.dropout_layer(self.ffn(h, training=training), training=training)

    def compute_output_shape(self, x_shape: Any, mask_shape: Any = None) -> tuple:
        return tuple(x_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff, dropout=self.dropout
        )
        return config
