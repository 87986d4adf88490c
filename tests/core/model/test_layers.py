"""Each registered layer serialises through get_config/from_config and masks as documented."""

from __future__ import annotations

import keras  # noqa: E402
import numpy as np
import pytest

from composeium_desktop.core.model.layers import (  # noqa: E402
    DecoderLayer,
    EncoderLayer,
    FeedForward,
    MultiHeadAttention,
    TokenAndPositionEmbedding,
)


@pytest.mark.parametrize(
    "layer",
    [
        TokenAndPositionEmbedding(20, 8, 0.1, tie_output=True),
        FeedForward(8, 16, 0.1),
        MultiHeadAttention(8, 2, 0.1),
        EncoderLayer(8, 2, 16, 0.1),
        DecoderLayer(8, 2, 16, 0.1),
    ],
)
def test_layer_config_round_trip(layer) -> None:
    config = layer.get_config()
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is type(layer)
    assert clone.get_config() == config


def test_attention_ignores_masked_keys() -> None:
    attention = MultiHeadAttention(8, 2)
    rng = np.random.default_rng(0)
    query = rng.normal(size=(1, 3, 8)).astype("float32")
    source = rng.normal(size=(1, 5, 8)).astype("float32")
    mask = np.array([True, True, True, False, False])[None, None, None, :]
    out = np.asarray(attention(query, source, mask))
    noisy = source.copy()
    noisy[:, 3:] = 100.0
    np.testing.assert_allclose(np.asarray(attention(query, noisy, mask)), out, atol=1e-5)


def test_embedding_projection_is_tied() -> None:
    embedding = TokenAndPositionEmbedding(20, 8, tie_output=True)
    embedding.build()
    hidden = np.eye(8, dtype="float32")[None]
    logits = np.asarray(embedding.project(hidden))
    np.testing.assert_allclose(logits[0], np.asarray(embedding.embeddings).T, atol=1e-6)
    ids = np.array([[1, 2, 3]])
    shifted = np.asarray(embedding(ids, start=5))
    np.testing.assert_allclose(
        np.asarray(embedding(np.array([[0, 0, 0, 0, 0, 1, 2, 3]])))[:, 5:], shifted, atol=1e-5
    )
