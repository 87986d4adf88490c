"""The cached decoding step in plain NumPy, from a trained Seq2SeqTransformer's weights.

One token through the decoder costs a few hundred small NumPy calls and no TensorFlow call, so
on a CPU the step is several times cheaper than the XLA-compiled ``decode_step`` (whose fixed
per-call overhead alone is about half a millisecond). The arithmetic is the model's own:

* body embedding scaled by sqrt(d_model) plus the sinusoidal positions (the table computed
  once, in float32 as the model computes it: ``numpy_encoder.sinusoidal_table``), plus, for a model that reads metric
  features, the sum of their embeddings (all "unknown", id 0, when a step is given none);
* pre-LN decoder layers (LayerNormalization, epsilon 1e-5): causal self-attention over the
  cache, cross-attention to the encoded metadata (pad positions masked), feed-forward with
  exact (erf) GELU; attention scores scaled by head_dim ** -0.5;
* final LayerNormalization and the output projection tied to the body embedding, plus bias.

Folded at load, so a step does less work: every LayerNorm's gamma/beta into the Dense that
reads it, the attention scale into the query weights, query/key/value into one matrix. Folded
per tune (``start``): cross-attention's query projection with its keys (one [D, H*M] matrix)
and its values with its output projection (one [H*M, D] matrix), over the real metadata
positions only. Dropout is inference-off throughout. Everything is float32.

The step runs in C when the extension ``_step_kernel`` is built (``setup.py``): the same
arithmetic over the same folded weights, packed once into one float32 array, one call per token
instead of a few hundred NumPy calls. ``NumpyDecoder.kernel`` says which runs ("c" or "numpy");
the NumPy code is the reference and the fallback, forced by ``COMPOSEIUM_STEP_KERNEL=numpy``.

The encoder runs once per tune in NumPy too (``numpy_encoder``); the weights come from
``weights.read_weights`` (the ``.keras`` file, no Keras) or ``weights.weights_of`` (a Keras model in
memory), so decoding never needs TensorFlow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from composeium_desktop.core.model.numpy_encoder import (
    EPSILON,
    MASK_VALUE,
    NumpyEncoder,
    gelu,
    sinusoidal_table,
)
from composeium_desktop.core.model.weights import ModelWeights, weights_of

try:
    from composeium_desktop.core.model import _step_kernel
except ImportError:  # not built (no compiler at install): the NumPy step
    _step_kernel = None  # type: ignore[assignment]

__all__ = ["KERNEL_ENV", "KERNELS", "DecoderState", "NumpyDecoder", "gelu"]

KERNEL_ENV = "COMPOSEIUM_STEP_KERNEL"
KERNELS = ("c", "numpy")
# The extension's ABI this module packs for: a build from older sources is not used.
_KERNEL_ABI = 1


def _kernel_built() -> bool:
    return _step_kernel is not None and getattr(_step_kernel, "ABI", None) == _KERNEL_ABI


def _f64(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, np.float64)


@dataclass
class _Layer:
    """One decoder layer's weights, folded for the step (all float32)."""

    qkv: np.ndarray  # [D, 3D]: self-attention norm's gamma and the query scale folded in
    qkv_bias: np.ndarray  # [3D]
    self_out: np.ndarray  # [D, D]
    self_out_bias: np.ndarray  # [D]
    cross_query: np.ndarray  # [D, D] (float64, folded with the keys per tune)
    cross_query_bias: np.ndarray  # [D] (float64)
    cross_kv: np.ndarray  # [D, 2D] (float64)
    cross_kv_bias: np.ndarray  # [2D] (float64)
    cross_out: np.ndarray  # [D, D] (float64)
    cross_out_bias: np.ndarray  # [D]
    inner: np.ndarray  # [D, F]: ffn norm folded in
    inner_bias: np.ndarray  # [F]
    outer: np.ndarray  # [F, D]
    outer_bias: np.ndarray  # [D]


class DecoderState:
    """One tune's caches: self-attention keys/values [layers, H, size, hd] (filled in place by
    ``step``) and the folded cross-attention of each layer. The keys are stored as
    ``transposed_keys`` [layers, H, hd, size], so that the C step's scores run along positions
    (contiguous); ``keys`` is the [layers, H, size, hd] view of them."""

    def __init__(self, layers: int, heads: int, size: int, head_dim: int) -> None:
        self.size = size
        self.transposed_keys = np.zeros((layers, heads, head_dim, size), np.float32)
        self.values = np.zeros((layers, heads, size, head_dim), np.float32)
        # Per layer: (scores matrix [D, H*M], scores bias [H*M], values-out [H*M, D]).
        self.cross: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.meta_len = 0
        # ``cross`` in one float32 array, as the C step reads it (packed at its first step).
        self.packed_cross: np.ndarray | None = None

    @property
    def keys(self) -> np.ndarray:
        """The self-attention keys, [layers, H, size, hd] (a view: writable)."""
        return self.transposed_keys.transpose(0, 1, 3, 2)

    def grown(self, size: int) -> DecoderState:
        """The same state with room for `size` positions (keys/values copied)."""
        layers, heads, old, head_dim = self.values.shape
        if size <= old:
            return self
        other = DecoderState(layers, heads, size, head_dim)
        other.transposed_keys[..., :old] = self.transposed_keys
        other.values[:, :, :old] = self.values
        other.cross = self.cross
        other.meta_len = self.meta_len
        other.packed_cross = self.packed_cross
        return other


def _kernel_choice(kernel: str | None) -> str:
    """The step to run, "c" or "numpy": `kernel` if given (asking for "c" without the extension
    raises), else "numpy" if the environment says ``COMPOSEIUM_STEP_KERNEL=numpy``, else "c"
    when the extension is built (from these sources: pip install -e . rebuilds it)."""
    if kernel is None:
        forced = os.environ.get(KERNEL_ENV, "").strip().lower()
        return "numpy" if forced == "numpy" or not _kernel_built() else "c"
    if kernel not in KERNELS:
        raise ValueError(f"unknown step kernel {kernel!r}: use one of {', '.join(KERNELS)}")
    if kernel == "c" and not _kernel_built():
        raise ImportError(
            "the C step kernel (composeium_desktop.core.model._step_kernel) is not built, or "
            "was built from older sources: pip install -e ."
        )
    return kernel


class NumpyDecoder:
    """``from_model(model)``; ``start(meta_ids) -> state``; ``step(state, token, position)
    -> logits float32 [V]`` (attends over positions 0..position of the state's cache).
    ``kernel``: "c", "numpy" or None (the C step when built, unless the environment says
    otherwise: ``_kernel_choice``)."""

    def __init__(self, weights: ModelWeights, kernel: str | None = None) -> None:
        c = weights.config
        self.weights = weights
        self.d_model = d = int(c.d_model)
        self.heads = h = int(c.num_heads)
        self.head_dim = hd = d // h
        self.vocab_size = int(c.vocab_size)
        self.max_len = int(c.max_body_len)
        self.max_meta_len = int(c.max_meta_len)
        self.num_layers = int(c.decoder_layers)
        f32 = np.float32
        embedding = _f64(weights.body_embedding)
        self.embedding = weights.body_embedding * f32(math.sqrt(d))
        self.positions_table = sinusoidal_table(self.max_len, d)
        self.metric_tables = [
            np.asarray(_f64(t) * weights.metric_scale, f32) for t in weights.metric_tables
        ]
        self._unknown_metric = (0,) * len(self.metric_tables)
        self.encoder = NumpyEncoder(weights)
        scale = hd**-0.5
        self.layers: list[_Layer] = []
        for layer in weights.decoder:
            sa, ca, ffn = layer.self_attention, layer.cross_attention, layer.ffn
            g1, b1 = _f64(layer.self_attention_norm.gamma), _f64(layer.self_attention_norm.beta)
            wq = _f64(sa.query.kernel) * scale
            bq = _f64(sa.query.bias) * scale
            w = np.concatenate([wq, _f64(sa.key_value.kernel)], axis=1)
            b = np.concatenate([bq, _f64(sa.key_value.bias)])
            g2, b2 = _f64(layer.cross_attention_norm.gamma), _f64(layer.cross_attention_norm.beta)
            cq = _f64(ca.query.kernel) * scale
            cbq = _f64(ca.query.bias) * scale
            g3, b3 = _f64(layer.ffn_norm.gamma), _f64(layer.ffn_norm.beta)
            wi = _f64(ffn.inner.kernel)
            self.layers.append(
                _Layer(
                    qkv=(g1[:, None] * w).astype(f32),
                    qkv_bias=(b1 @ w + b).astype(f32),
                    self_out=_f64(sa.output.kernel).astype(f32),
                    self_out_bias=_f64(sa.output.bias).astype(f32),
                    cross_query=g2[:, None] * cq,
                    cross_query_bias=b2 @ cq + cbq,
                    cross_kv=_f64(ca.key_value.kernel),
                    cross_kv_bias=_f64(ca.key_value.bias),
                    cross_out=_f64(ca.output.kernel),
                    cross_out_bias=_f64(ca.output.bias).astype(f32),
                    inner=(g3[:, None] * wi).astype(f32),
                    inner_bias=(b3 @ wi + _f64(ffn.inner.bias)).astype(f32),
                    outer=_f64(ffn.outer.kernel).astype(f32),
                    outer_bias=_f64(ffn.outer.bias).astype(f32),
                )
            )
        gf, bf = _f64(weights.decoder_norm.gamma), _f64(weights.decoder_norm.beta)
        self.output = np.ascontiguousarray((gf[:, None] * embedding.T).astype(f32))
        self.output_bias = (bf @ embedding.T + _f64(weights.output_bias)).astype(f32)
        # x.mean() through a dot product: a fraction of the call overhead.
        self._mean_of = np.full(d, 1.0 / d, f32)
        # Per-step views over one reused buffer for the fused query/key/value row.
        self._qkv = np.empty(3 * d, f32)
        self._q = self._qkv[:d].reshape(h, 1, hd)
        self._k = self._qkv[d : 2 * d].reshape(h, hd)
        self._v = self._qkv[2 * d :].reshape(h, hd)
        self._step_layers = [
            (
                i,
                L.qkv,
                L.qkv_bias,
                L.self_out,
                L.self_out_bias,
                L.cross_out_bias,
                L.inner,
                L.inner_bias,
                L.outer,
                L.outer_bias,
            )
            for i, L in enumerate(self.layers)
        ]
        self.kernel = _kernel_choice(kernel)
        self._c_step: Any = None
        if self.kernel == "c":
            self._c_step = self._c_kernel().step

    def _c_kernel(self) -> Any:
        """The C kernel over this decoder's folded weights, packed in the order it reads them
        (``Kernel_init`` in ``_step_kernel.c``)."""
        parts = [self.embedding, self.positions_table, *self.metric_tables]
        for L in self.layers:
            parts += [L.qkv, L.qkv_bias, L.self_out, L.self_out_bias, L.cross_out_bias]
            parts += [L.inner, L.inner_bias, L.outer, L.outer_bias]
        parts += [self.output, self.output_bias]
        sizes = [p.size for p in parts]
        # On a cache line, so that the rows of every matrix are (d_model a multiple of 16).
        buffer = np.empty(sum(sizes) + 16, np.float32)
        start = (-buffer.ctypes.data % 64) // 4
        packed = buffer[start : start + sum(sizes)]
        np.concatenate([np.asarray(p, np.float32).reshape(-1) for p in parts], out=packed)
        return _step_kernel.Kernel(
            packed,
            self.num_layers,
            self.d_model,
            self.heads,
            int(self.weights.config.d_ff),
            self.vocab_size,
            self.max_len,
            tuple(int(t.shape[0]) for t in self.metric_tables),
        )

    @classmethod
    def from_model(cls, model: Any) -> NumpyDecoder:
        """The decoder of a Keras Seq2SeqTransformer in memory (or a ``weights.ModelFile``)."""
        return cls(weights_of(model))

    # Per tune.

    def encode(self, meta_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metadata ids (padded/truncated to max_meta_len) -> (memory [M, D], mask bool [M])."""
        return self.encoder.encode(meta_ids)

    def start(self, meta_ids: Sequence[int] | np.ndarray, size: int | None = None) -> DecoderState:
        """Encode the metadata once; fold each layer's cross-attention; empty self caches."""
        memory, mask = self.encode(meta_ids)
        size = int(size or self.max_len)
        h, hd, d = self.heads, self.head_dim, self.d_model
        state = DecoderState(self.num_layers, h, size, hd)
        # Masked keys get exactly zero weight, so only the real positions are kept (all of
        # them, masked, when there is none: the model's softmax is then uniform).
        keep = mask if mask.any() else np.ones_like(mask)
        memory = memory[keep]
        m = memory.shape[0]
        bias_mask = np.zeros(m) if mask.any() else np.full(m, MASK_VALUE)
        for L in self.layers:
            kv = memory @ L.cross_kv + L.cross_kv_bias  # [M, 2D]
            keys = kv[:, :d].reshape(m, h, hd).transpose(1, 0, 2)  # [H, M, hd]
            values = kv[:, d:].reshape(m, h, hd).transpose(1, 0, 2)
            wq = L.cross_query.reshape(d, h, hd)
            scores = np.einsum("dhk,hmk->dhm", wq, keys).reshape(d, h * m)
            scores_bias = np.einsum("hk,hmk->hm", L.cross_query_bias.reshape(h, hd), keys)
            if not mask.any():
                scores, scores_bias = np.zeros_like(scores), np.zeros_like(scores_bias)
            scores_bias = scores_bias + bias_mask
            out = np.einsum("hmk,hkd->hmd", values, L.cross_out.reshape(h, hd, d))
            state.cross.append(
                (
                    np.ascontiguousarray(scores, np.float32),
                    np.ascontiguousarray(scores_bias.reshape(-1), np.float32),
                    np.ascontiguousarray(out.reshape(h * m, d), np.float32),
                )
            )
        state.meta_len = m
        return state

    # Per token.

    def step(
        self,
        state: DecoderState,
        token: int,
        position: int,
        metric: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Logits float32 [V] for the token after `token` (with its metric features), fed at
        `position`; writes this position's self-attention keys/values into the state's
        cache."""
        if self._c_step is None:
            return self.step_numpy(state, token, position, metric)
        cross = state.packed_cross
        if cross is None:
            parts = [a.reshape(-1) for layer in state.cross for a in layer]
            cross = state.packed_cross = np.concatenate([np.empty(0, np.float32), *parts])
        logits = np.empty(self.vocab_size, np.float32)
        self._c_step(
            logits,
            state.transposed_keys,
            state.values,
            cross,
            state.meta_len,
            token,
            position,
            metric,
        )
        return logits

    def step_numpy(
        self,
        state: DecoderState,
        token: int,
        position: int,
        metric: Sequence[int] | None = None,
    ) -> np.ndarray:
        """``step`` in NumPy: the reference the C kernel is tested against, and its fallback."""
        d = self.d_model
        h = self.heads
        m = state.meta_len
        end = position + 1
        inv_d = 1.0 / d
        qkv, q, k, v = self._qkv, self._q, self._k, self._v
        keys_all, values_all, cross = state.keys, state.values, state.cross
        matmul, dot, exp, sqrt = np.matmul, np.dot, np.exp, math.sqrt
        max_reduce, add_reduce = np.maximum.reduce, np.add.reduce
        mean_of = self._mean_of
        x = self.embedding[token] + self.positions_table[position]
        if self.metric_tables:
            for table, value in zip(
                self.metric_tables,
                self._unknown_metric if metric is None else metric[: len(self.metric_tables)],
                strict=True,
            ):
                x += table[value]
        for i, w_qkv, b_qkv, w_o, b_o, cb_o, w_i, b_i, w_f, b_f in self._step_layers:
            # Causal self-attention over positions 0..position.
            n = x - dot(x, mean_of)
            n *= 1.0 / sqrt(float(dot(n, n)) * inv_d + EPSILON)
            dot(n, w_qkv, out=qkv)
            qkv += b_qkv
            keys = keys_all[i]
            values = values_all[i]
            keys[:, position] = k
            values[:, position] = v
            s = matmul(q, keys[:, :end].transpose(0, 2, 1))  # [H, 1, end]
            s -= max_reduce(s, axis=-1, keepdims=True)
            exp(s, out=s)
            s /= add_reduce(s, axis=-1, keepdims=True)
            a = matmul(s, values[:, :end])  # [H, 1, hd]
            x += dot(a.reshape(d), w_o)
            x += b_o
            # Cross-attention, folded: scores [H*M] then values-out.
            c_scores, c_bias, c_out = cross[i]
            n = x - dot(x, mean_of)
            n *= 1.0 / sqrt(float(dot(n, n)) * inv_d + EPSILON)
            s = dot(n, c_scores)
            s += c_bias
            s = s.reshape(h, m)
            s -= max_reduce(s, axis=-1, keepdims=True)
            exp(s, out=s)
            s /= add_reduce(s, axis=-1, keepdims=True)
            x += dot(s.reshape(h * m), c_out)
            x += cb_o
            # Feed-forward.
            n = x - dot(x, mean_of)
            n *= 1.0 / sqrt(float(dot(n, n)) * inv_d + EPSILON)
            u = dot(n, w_i)
            u += b_i
            x += dot(gelu(u), w_f)
            x += b_f
        n = x - dot(x, mean_of)
        n *= 1.0 / sqrt(float(dot(n, n)) * inv_d + EPSILON)
        logits = dot(n, self.output)
        logits += self.output_bias
        return logits
