"""The metadata encoder in plain NumPy, from a trained Seq2SeqTransformer's weights.

It runs once per tune on at most ``max_meta_len`` (48) tokens, so it is written for clarity, in
float64, with the model's own arithmetic (``layers.encoder_layer``): token embedding scaled by
sqrt(d_model) plus sinusoidal positions; pre-LN layers (LayerNormalization, epsilon 1e-5) of
self-attention whose keys at pad positions (id 0) are masked with -1e9 (so a row with no real
key gets a uniform softmax, as in Keras), scores scaled by head_dim ** -0.5, and a feed-forward
block with exact (erf) GELU; a final LayerNormalization. Dropout is inference-off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from composeium_desktop.core.model.weights import Attention, Dense, FeedForward, ModelWeights, Norm

EPSILON = 1e-5
MASK_VALUE = -1e9


def sinusoidal_table(length: int, d_model: int) -> np.ndarray:
    """float32 [length, d_model]: ``layers.embedding.sinusoidal_positions`` of 0..length-1,
    computed the same way (float32 throughout)."""
    half = d_model // 2
    step = np.float32(-math.log(10000.0) / max(half - 1, 1))
    inv_freq = np.exp(np.arange(half, dtype=np.float32) * step)
    angles = np.arange(length, dtype=np.float32)[:, None] * inv_freq
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=-1).astype(np.float32)


def layer_norm(x: np.ndarray, norm: Norm) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + EPSILON) * norm.gamma + norm.beta


# Abramowitz & Stegun 7.1.26: erfc(z) ~= t * poly(t) * exp(-z^2), t = 1 / (1 + P z), z >= 0,
# absolute error below 1.5e-7. Halved here, since GELU needs 0.5 * erfc.
_P = 0.3275911
_A = tuple(0.5 * a for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))


def gelu(u: np.ndarray) -> np.ndarray:
    """Exact GELU, u * Phi(u) = max(u, 0) - |u| * 0.5 * erfc(|u| / sqrt 2), in u's precision
    (float32 in the decoder's step, float64 in the encoder)."""
    a = np.abs(u)
    t = a * np.float32(_P / math.sqrt(2.0))
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(_A[4])
    poly += np.float32(_A[3])
    poly *= t
    poly += np.float32(_A[2])
    poly *= t
    poly += np.float32(_A[1])
    poly *= t
    poly += np.float32(_A[0])
    poly *= t
    e = a * a
    e *= -0.5
    np.exp(e, out=e)
    poly *= e
    poly *= a
    out = np.maximum(u, 0.0)
    out -= poly
    return out


class NumpyEncoder:
    """``encode(meta_ids) -> (memory float64 [M, D], mask bool [M])`` for one request."""

    def __init__(self, weights: ModelWeights) -> None:
        c = weights.config
        self.weights = weights
        self.d_model = int(c.d_model)
        self.heads = int(c.num_heads)
        self.head_dim = self.d_model // self.heads
        self.max_meta_len = int(c.max_meta_len)
        scale = np.float32(math.sqrt(self.d_model))
        self.embedding = (weights.meta_embedding * scale).astype(np.float64)
        self.positions = sinusoidal_table(self.max_meta_len, self.d_model).astype(np.float64)
        # Each Dense's kernel in float64, converted once (not at every tune's encoding).
        self._kernels: dict[int, np.ndarray] = {}

    def _dense(self, x: np.ndarray, dense: Dense) -> np.ndarray:
        kernel = self._kernels.get(id(dense))
        if kernel is None:
            kernel = self._kernels[id(dense)] = dense.kernel.astype(np.float64)
        return x @ kernel + dense.bias

    def _attention(self, h: np.ndarray, mask: np.ndarray, att: Attention) -> np.ndarray:
        m, d, heads, hd = h.shape[0], self.d_model, self.heads, self.head_dim
        query = (self._dense(h, att.query) * hd**-0.5).reshape(m, heads, hd).transpose(1, 0, 2)
        kv = self._dense(h, att.key_value)
        keys = kv[:, :d].reshape(m, heads, hd).transpose(1, 0, 2)
        values = kv[:, d:].reshape(m, heads, hd).transpose(1, 0, 2)
        scores = query @ keys.transpose(0, 2, 1)  # [H, M, M]
        scores = np.where(mask[None, None, :], scores, MASK_VALUE)
        scores -= scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        out = (weights @ values).transpose(1, 0, 2).reshape(m, d)
        return self._dense(out, att.output)

    def _ffn(self, h: np.ndarray, ffn: FeedForward) -> np.ndarray:
        return self._dense(gelu(self._dense(h, ffn.inner)), ffn.outer)

    def encode(self, meta_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metadata ids (padded with 0 / truncated to max_meta_len) -> (memory, mask)."""
        ids = np.zeros(self.max_meta_len, np.int64)
        given = np.asarray(meta_ids, np.int64).reshape(-1)[: self.max_meta_len]
        ids[: len(given)] = given
        mask = ids != 0
        x = self.embedding[ids] + self.positions
        for layer in self.weights.encoder:
            x = x + self._attention(layer_norm(x, layer.attention_norm), mask, layer.attention)
            x = x + self._ffn(layer_norm(x, layer.ffn_norm), layer.ffn)
        return layer_norm(x, self.weights.encoder_norm), mask
