"""Keras layers of the Transformer, one per module, each registered serializable."""

from composeium_desktop.core.model.layers.attention import MultiHeadAttention
from composeium_desktop.core.model.layers.decoder_layer import DecoderLayer
from composeium_desktop.core.model.layers.embedding import TokenAndPositionEmbedding
from composeium_desktop.core.model.layers.encoder_layer import EncoderLayer
from composeium_desktop.core.model.layers.feed_forward import FeedForward
from composeium_desktop.core.model.layers.metric_embedding import MetricEmbedding

__all__ = [
    "DecoderLayer",
    "EncoderLayer",
    "FeedForward",
    "MetricEmbedding",
    "MultiHeadAttention",
    "TokenAndPositionEmbedding",
]
