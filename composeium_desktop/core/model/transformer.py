"""The encoder-decoder Transformer: metadata tokens in, ABC body logits out.

The encoder reads the metadata (mode, tonic, meter, genre, title pieces); the decoder reads the
body tokens (BOS first) with causal self-attention and cross-attention to the encoding, and its
output projection is tied to the body embedding.

With ``config.metric_features`` the decoder also reads, with each body token, its metric position
(``core.metric_features``: room left in the bar, bar so far, bars done, what is open, and with
``config.length_feature`` the bars to go), embedded by ``MetricEmbedding`` and added to the token
embedding; the features go in as ``inputs["metric"]`` int32 [B, T, 5] (a decoder without the
length feature reads the first four) and, when cached decoding, with each step's token (left
out, every feature reads "unknown").

Cached decoding: ``encode`` -> ``init_cache`` (cross-attention keys/values computed once per
layer, zero self-attention caches of a fixed length) -> ``decode_step`` per token. The cache is a
dict of fixed-shape tensors, so the step is compiled once with XLA and reused for every position.
"""

from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from composeium_desktop.core.features.metric import (  # noqa: E402
    FEATURE_SIZES,
    feature_sizes,
)
from composeium_desktop.core.model.config import TransformerConfig  # noqa: E402
from composeium_desktop.core.model.layers import (  # noqa: E402
    DecoderLayer,
    EncoderLayer,
    MetricEmbedding,
    TokenAndPositionEmbedding,
)

Cache = dict[str, Any]
# A compiled function is keyed by name, or for the step by ("step", self-kv shape, cross-kv shape).
CompiledKey = str | tuple[str, tuple[int | None, ...], tuple[int | None, ...]]


@keras.saving.register_keras_serializable(package="composeium")
class Seq2SeqTransformer(keras.Model):
    """``call({"meta": int32[B, M], "body": int32[B, T], "metric": int32[B, T, 5]})
    -> logits float32[B, T, V]`` ("metric" only when ``config.metric_features``)."""

    def __init__(self, config: TransformerConfig | dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if config is None:
            config = TransformerConfig()
        elif isinstance(config, dict):
            config = TransformerConfig.from_dict(config)
        self.config = config
        c = config
        self.meta_embedding = TokenAndPositionEmbedding(
            c.meta_vocab_size, c.d_model, c.dropout, name="meta_embedding"
        )
        self.body_embedding = TokenAndPositionEmbedding(
            c.vocab_size, c.d_model, c.dropout, tie_output=True, name="body_embedding"
        )
        self.metric_embedding = (
            MetricEmbedding(
                feature_sizes(True, c.length_feature, c.form_features),
                c.d_model,
                scale=math.sqrt(c.d_model) if c.metric_scaled else 1.0,
                name="metric_embedding",
            )
            if c.metric_features
            else None
        )
        self.encoder_stack = [
            EncoderLayer(c.d_model, c.num_heads, c.d_ff, c.dropout, name=f"encoder_{i}")
            for i in range(c.encoder_layers)
        ]
        self.decoder_stack = [
            DecoderLayer(c.d_model, c.num_heads, c.d_ff, c.dropout, name=f"decoder_{i}")
            for i in range(c.decoder_layers)
        ]
        self.encoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="encoder_norm")
        self.decoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_norm")
        self._compiled: dict[CompiledKey, Any] = {}

    def build(self, input_shape: Any = None) -> None:
        d = self.config.d_model
        self.meta_embedding.build((None, None))
        self.body_embedding.build((None, None))
        if self.metric_embedding is not None:
            self.metric_embedding.build((None, None, len(FEATURE_SIZES)))
        for layer in self.encoder_stack:
            layer.build((None, None, d))
        for layer in self.decoder_stack:
            layer.build((None, None, d), (None, None, d))
        self.encoder_norm.build((None, None, d))
        self.decoder_norm.build((None, None, d))
        self.built = True

    # Full sequences (training and scoring).

    def encode(self, meta: Any, training: bool = False) -> tuple[Any, Any]:
        """Metadata ids [B, M] (0 = pad) -> (memory [B, M, D], meta_mask bool [B, M])."""
        meta = ops.cast(meta, "int32")
        mask = ops.not_equal(meta, 0)
        x = self.meta_embedding(meta, training=training)
        for layer in self.encoder_stack:
            x = layer(x, mask, training=training)
        return self.encoder_norm(x), mask

    def _add_metric(self, x: Any, metric: Any) -> Any:
        if self.metric_embedding is None:
            return x
        if metric is None:  # every feature "unknown" (id 0)
            metric = ops.zeros((*ops.shape(x)[:2], len(FEATURE_SIZES)), "int32")
        return x + ops.cast(self.metric_embedding(metric), x.dtype)

    def decode(
        self,
        body: Any,
        memory: Any,
        meta_mask: Any,
        training: bool = False,
        metric: Any = None,
    ) -> Any:
        """Body ids [B, T] (BOS first), metric features [B, T, 5] -> logits [B, T, V]."""
        x = self.body_embedding(ops.cast(body, "int32"), training=training)
        x = self._add_metric(x, metric)
        for layer in self.decoder_stack:
            x = layer(x, memory, meta_mask, training=training)
        return self.body_embedding.project(self.decoder_norm(x))

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        memory, meta_mask = self.encode(inputs["meta"], training=training)
        return self.decode(
            inputs["body"], memory, meta_mask, training=training, metric=inputs.get("metric")
        )

    # Cached decoding.

    def init_cache(self, memory: Any, meta_mask: Any, max_len: int) -> Cache:
        """Cross-attention keys/values (once per layer) and zero self-attention caches.

        Returns {"self_kv": [L, 2, B, H, max_len, hd], "cross_kv": [L, 2, B, H, M, hd],
        "meta_mask": bool [B, M]}.
        """
        c = self.config
        cross = []
        for layer in self.decoder_stack:
            key, value = layer.cross_attention.key_value(memory)
            cross.append(ops.stack([key, value]))
        batch = ops.shape(memory)[0]
        self_kv = ops.zeros(
            (c.decoder_layers, 2, batch, c.num_heads, int(max_len), c.head_dim), memory.dtype
        )
        return {"self_kv": self_kv, "cross_kv": ops.stack(cross), "meta_mask": meta_mask}

    def decode_step_eager(
        self, token: Any, position: Any, cache: Cache, metric: Any = None
    ) -> tuple[Any, Cache]:
        """The uncompiled step: token [B] (metric features [B, 4]) at ``position`` ->
        (logits [B, V], new cache)."""
        x = self.body_embedding(ops.expand_dims(ops.cast(token, "int32"), 1), start=position)
        x = self._add_metric(x, None if metric is None else ops.expand_dims(metric, 1))
        self_kv = cache["self_kv"]
        cross_kv = cache["cross_kv"]
        for i, layer in enumerate(self.decoder_stack):
            h, key, value = layer.step_key_value(x)
            update = ops.expand_dims(ops.stack([key, value]), 0)
            self_kv = ops.slice_update(self_kv, [i, 0, 0, 0, position, 0], update)
            x = layer.step_attend(
                x,
                h,
                position,
                self_kv[i, 0],
                self_kv[i, 1],
                cross_kv[i, 0],
                cross_kv[i, 1],
                cache["meta_mask"],
            )
        logits = self.body_embedding.project(self.decoder_norm(x))[:, 0, :]
        return logits, {**cache, "self_kv": self_kv}

    def decode_step(
        self, token: Any, position: Any, cache: Cache, metric: Any = None
    ) -> tuple[Any, Cache]:
        """Compiled step: token int32 [B] (metric int32 [B, 4]) at ``position`` ->
        (logits float32 [B, V], new cache).

        XLA-compiled once per (batch, cache length, meta length) and called as a concrete
        function with flat tensor arguments, which halves the per-call overhead of passing the
        cache dict through tf.function.
        """
        import tensorflow as tf

        token = tf.convert_to_tensor(token, tf.int32)
        position = tf.convert_to_tensor(position, tf.int32)
        if metric is None:  # every feature "unknown" (id 0)
            metric = tf.zeros((token.shape[0], len(FEATURE_SIZES)), tf.int32)
        metric = tf.convert_to_tensor(metric, tf.int32)
        self_kv, cross_kv, meta_mask = cache["self_kv"], cache["cross_kv"], cache["meta_mask"]
        key = ("step", tuple(self_kv.shape), tuple(cross_kv.shape))
        step = self._compiled.get(key)
        if step is None:
            flat = tf.function(self._flat_step, jit_compile=True)
            step = flat.get_concrete_function(token, position, metric, self_kv, cross_kv, meta_mask)
            self._compiled[key] = step
        logits, self_kv = step(token, position, metric, self_kv, cross_kv, meta_mask)
        return logits, {"self_kv": self_kv, "cross_kv": cross_kv, "meta_mask": meta_mask}

    def _flat_step(
        self,
        token: Any,
        position: Any,
        metric: Any,
        self_kv: Any,
        cross_kv: Any,
        meta_mask: Any,
    ) -> tuple[Any, Any]:
        cache = {"self_kv": self_kv, "cross_kv": cross_kv, "meta_mask": meta_mask}
        logits, cache = self.decode_step_eager(token, position, cache, metric)
        return logits, cache["self_kv"]

    def start_decoding(self, meta: Any, max_len: int) -> Cache:
        """encode + init_cache in one compiled call; meta is padded to max_meta_len so every
        request shares one compiled program."""
        meta = ops.convert_to_tensor(meta, "int32")
        width = self.config.max_meta_len
        length = int(meta.shape[1])
        if length > width:
            meta = meta[:, :width]
        elif length < width:
            meta = ops.pad(meta, [[0, 0], [0, width - length]])
        prepare = self._compiled_fn(f"start_{int(max_len)}", self._start_eager, max_len=max_len)
        return prepare(meta)

    def _start_eager(self, meta: Any, max_len: int) -> Cache:
        memory, mask = self.encode(meta)
        return self.init_cache(memory, mask, max_len)

    def _compiled_fn(self, key: str, fn: Any, **bound: Any) -> Any:
        compiled = self._compiled.get(key)
        if compiled is None:
            import functools

            import tensorflow as tf

            target = functools.partial(fn, **bound) if bound else fn
            compiled = tf.function(target, jit_compile=True, reduce_retracing=False)
            self._compiled[key] = compiled
        return compiled

    def get_config(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Seq2SeqTransformer:
        return cls(**config)
