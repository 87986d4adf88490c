"""A trained model's weights as NumPy arrays, read from its ``.keras`` file without Keras.

A ``.keras`` file is a zip holding ``config.json`` (the architecture: here a
``Seq2SeqTransformer`` and its ``TransformerConfig``) and ``model.weights.h5``, where Keras stores
each layer's variables under ``<path>/vars/<index>`` in the order the layer created them
(Dense: kernel, bias; LayerNormalization: gamma, beta; TokenAndPositionEmbedding: embeddings,
output bias; MetricEmbedding: one table per feature). The path is the attribute path from the
model (``decoder_stack/decoder_layer_1/ffn/inner``), list items named after their class; a
layer reachable twice is stored where Keras's alphabetical walk meets it first, which puts
``meta_embedding`` and ``metric_embedding`` under ``layers/`` (``Model.layers``, walked before
them). ``read_weights`` reads those paths with h5py (installed with Keras) and checks that every
array in the file is used exactly once with the shape the config implies, so a file of another
layout fails loudly instead of decoding garbage.

``weights_of(model)`` takes the same arrays from a Keras model in memory (tests, training).
``ModelFile`` is what ``Generator.load`` holds: the config, the arrays, and the Keras model itself
loaded only when something asks for it (the XLA step, a full forward pass), which imports
TensorFlow. Importing this module imports neither.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import feature_sizes
from composeium_desktop.core.model.config import MODEL_FILE, TransformerConfig

MODEL_CLASS = "Seq2SeqTransformer"


class WeightsError(ValueError):
    """The file is not a Seq2SeqTransformer saved by ``save_model`` (or is damaged)."""


@dataclass(frozen=True)
class Dense:
    kernel: np.ndarray  # [in, out]
    bias: np.ndarray  # [out]


@dataclass(frozen=True)
class Norm:
    gamma: np.ndarray  # [D]
    beta: np.ndarray  # [D]


@dataclass(frozen=True)
class Attention:
    query: Dense  # [D, D]
    key_value: Dense  # [D, 2D]: keys then values
    output: Dense  # [D, D]


@dataclass(frozen=True)
class FeedForward:
    inner: Dense  # [D, F], exact GELU after it
    outer: Dense  # [F, D]


@dataclass(frozen=True)
class EncoderLayerWeights:
    attention_norm: Norm
    attention: Attention
    ffn_norm: Norm
    ffn: FeedForward


@dataclass(frozen=True)
class DecoderLayerWeights:
    self_attention_norm: Norm
    self_attention: Attention
    cross_attention_norm: Norm
    cross_attention: Attention
    ffn_norm: Norm
    ffn: FeedForward


@dataclass(frozen=True)
class ModelWeights:
    """Every trained array of a Seq2SeqTransformer (float32, as stored)."""

    config: TransformerConfig
    meta_embedding: np.ndarray  # [meta_vocab, D], unscaled
    body_embedding: np.ndarray  # [vocab, D], unscaled; also the tied output projection
    output_bias: np.ndarray  # [vocab]
    metric_tables: tuple[np.ndarray, ...]  # one [size, D] per feature, unscaled
    encoder: tuple[EncoderLayerWeights, ...]
    encoder_norm: Norm
    decoder: tuple[DecoderLayerWeights, ...]
    decoder_norm: Norm

    @property
    def metric_scale(self) -> float:
        return float(np.sqrt(self.config.d_model)) if self.config.metric_scaled else 1.0


# Reading a .keras file.


def read_config(path: Path) -> TransformerConfig:
    """The TransformerConfig stored in a ``.keras`` file's config.json."""
    with zipfile.ZipFile(path) as archive:
        return _config_of(archive, path)


def _config_of(archive: zipfile.ZipFile, path: Path) -> TransformerConfig:
    try:
        spec = json.loads(archive.read("config.json"))
    except KeyError as exc:
        raise WeightsError(f"{path} has no config.json: not a .keras model") from exc
    if spec.get("class_name") != MODEL_CLASS:
        raise WeightsError(f"{path} holds a {spec.get('class_name')!r}, not a {MODEL_CLASS}")
    return TransformerConfig.from_dict(spec["config"]["config"])


class _Store:
    """The h5 file's arrays by path, read in one pass over the file (looking each up in the
    file by name costs more than reading them all); remembers which were used."""

    def __init__(self, arrays: dict[str, np.ndarray], source: Path) -> None:
        self.arrays = arrays
        self.groups = {name.rsplit("/", 1)[0] for name in arrays}
        self.source = source
        self.used: set[str] = set()

    @classmethod
    def read(cls, h5: Any, source: Path) -> _Store:
        arrays: dict[str, np.ndarray] = {}

        def keep(name: str, item: Any) -> None:
            if hasattr(item, "shape"):
                arrays[name] = item[()]

        h5.visititems(keep)
        return cls(arrays, source)

    def has(self, path: str) -> bool:
        return f"{path}/vars" in self.groups

    def first(self, *paths: str) -> str:
        for path in paths:
            if self.has(path):
                return path
        raise WeightsError(f"{self.source}: no weights at {' or '.join(paths)}")

    def var(self, path: str, index: int, shape: tuple[int, ...]) -> np.ndarray:
        name = f"{path}/vars/{index}"
        if name not in self.arrays:
            raise WeightsError(f"{self.source}: missing {name}")
        array = np.asarray(self.arrays[name], np.float32)
        if array.shape != shape:
            raise WeightsError(f"{self.source}: {name} is {array.shape}, expected {shape}")
        self.used.add(name)
        return array

    def all_arrays(self) -> Iterator[str]:
        return iter(self.arrays)


def _dense(store: _Store, path: str, n_in: int, n_out: int) -> Dense:
    return Dense(store.var(path, 0, (n_in, n_out)), store.var(path, 1, (n_out,)))


def _norm(store: _Store, path: str, d: int) -> Norm:
    return Norm(store.var(path, 0, (d,)), store.var(path, 1, (d,)))


def _attention(store: _Store, path: str, d: int) -> Attention:
    return Attention(
        query=_dense(store, f"{path}/query_dense", d, d),
        key_value=_dense(store, f"{path}/key_value_dense", d, 2 * d),
        output=_dense(store, f"{path}/output_dense", d, d),
    )


def _ffn(store: _Store, path: str, d: int, f: int) -> FeedForward:
    return FeedForward(_dense(store, f"{path}/inner", d, f), _dense(store, f"{path}/outer", f, d))


def _list_item(name: str, index: int) -> str:
    """Keras's name for the index-th item of a list of layers of one class."""
    return name if index == 0 else f"{name}_{index}"


def metric_sizes(config: TransformerConfig) -> tuple[int, ...]:
    """The metric feature table sizes the model reads (none without metric features)."""
    return feature_sizes(config.metric_features, config.length_feature, config.form_features)


def read_weights(path: Path) -> ModelWeights:
    """Every weight of the Seq2SeqTransformer saved in the ``.keras`` file at `path`."""
    import h5py

    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        config = _config_of(archive, path)
        try:
            data = archive.read("model.weights.h5")
        except KeyError as exc:
            raise WeightsError(f"{path} has no model.weights.h5") from exc
    with h5py.File(io.BytesIO(data), "r") as h5:
        store = _Store.read(h5, path)
    weights = _read_model(store, config)
    unused = sorted(set(store.all_arrays()) - store.used)
    if unused:
        raise WeightsError(f"{path}: arrays no layer of {MODEL_CLASS} reads: {unused[:5]}")
    return weights


def _read_model(store: _Store, c: TransformerConfig) -> ModelWeights:
    d, f = c.d_model, c.d_ff
    meta = store.first("meta_embedding", "layers/token_and_position_embedding")
    tables: tuple[np.ndarray, ...] = ()
    sizes = metric_sizes(c)
    if sizes:
        metric = store.first("metric_embedding", "layers/metric_embedding")
        tables = tuple(store.var(metric, i, (n, d)) for i, n in enumerate(sizes))
    encoder = []
    for i in range(c.encoder_layers):
        p = f"encoder_stack/{_list_item('encoder_layer', i)}"
        encoder.append(
            EncoderLayerWeights(
                attention_norm=_norm(store, f"{p}/attention_norm", d),
                attention=_attention(store, f"{p}/attention", d),
                ffn_norm=_norm(store, f"{p}/ffn_norm", d),
                ffn=_ffn(store, f"{p}/ffn", d, f),
            )
        )
    decoder = []
    for i in range(c.decoder_layers):
        p = f"decoder_stack/{_list_item('decoder_layer', i)}"
        decoder.append(
            DecoderLayerWeights(
                self_attention_norm=_norm(store, f"{p}/self_attention_norm", d),
                self_attention=_attention(store, f"{p}/self_attention", d),
                cross_attention_norm=_norm(store, f"{p}/cross_attention_norm", d),
                cross_attention=_attention(store, f"{p}/cross_attention", d),
                ffn_norm=_norm(store, f"{p}/ffn_norm", d),
                ffn=_ffn(store, f"{p}/ffn", d, f),
            )
        )
    return ModelWeights(
        config=c,
        meta_embedding=store.var(meta, 0, (c.meta_vocab_size, d)),
        body_embedding=store.var("body_embedding", 0, (c.vocab_size, d)),
        output_bias=store.var("body_embedding", 1, (c.vocab_size,)),
        metric_tables=tables,
        encoder=tuple(encoder),
        encoder_norm=_norm(store, "encoder_norm", d),
        decoder=tuple(decoder),
        decoder_norm=_norm(store, "decoder_norm", d),
    )


# From a Keras model in memory.


def _arr(variable: Any) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(variable), np.float32)


def _k_dense(layer: Any) -> Dense:
    return Dense(_arr(layer.kernel), _arr(layer.bias))


def _k_norm(layer: Any) -> Norm:
    return Norm(_arr(layer.gamma), _arr(layer.beta))


def _k_attention(layer: Any) -> Attention:
    return Attention(
        _k_dense(layer.query_dense), _k_dense(layer.key_value_dense), _k_dense(layer.output_dense)
    )


def _k_ffn(layer: Any) -> FeedForward:
    return FeedForward(_k_dense(layer.inner), _k_dense(layer.outer))


def weights_of(model: Any) -> ModelWeights:
    """The arrays of a Keras Seq2SeqTransformer in memory (same layout as ``read_weights``)."""
    if isinstance(model, ModelFile):
        return model.weights
    metric = getattr(model, "metric_embedding", None)
    return ModelWeights(
        config=model.config,
        meta_embedding=_arr(model.meta_embedding.embeddings),
        body_embedding=_arr(model.body_embedding.embeddings),
        output_bias=_arr(model.body_embedding.output_bias),
        metric_tables=() if metric is None else tuple(_arr(t) for t in metric.tables),
        encoder=tuple(
            EncoderLayerWeights(
                _k_norm(layer.attention_norm),
                _k_attention(layer.attention),
                _k_norm(layer.ffn_norm),
                _k_ffn(layer.ffn),
            )
            for layer in model.encoder_stack
        ),
        encoder_norm=_k_norm(model.encoder_norm),
        decoder=tuple(
            DecoderLayerWeights(
                _k_norm(layer.self_attention_norm),
                _k_attention(layer.self_attention),
                _k_norm(layer.cross_attention_norm),
                _k_attention(layer.cross_attention),
                _k_norm(layer.ffn_norm),
                _k_ffn(layer.ffn),
            )
            for layer in model.decoder_stack
        ),
        decoder_norm=_k_norm(model.decoder_norm),
    )


class ModelFile:
    """A model folder's ``.keras`` model read for composing: ``config`` and ``weights`` at once,
    without Keras; ``keras()`` loads the Keras model (importing TensorFlow) the first time it
    is needed. Calling the object, or asking it for any other attribute (``start_decoding``,
    ``decode_step_eager``...), goes to that Keras model, so code written for a Keras model
    (the XLA step, a full forward pass in a test) works on it unchanged."""

    def __init__(self, model_dir: Path, read: Callable[[Path], ModelWeights] | None = None) -> None:
        """``read`` reads the ``.keras`` file's weights (default ``read_weights``; composing
        passes ``weights_cache.cached_weights``' reader, which keeps a NumPy copy)."""
        self.model_dir = Path(model_dir)
        path = self.model_dir / MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no {MODEL_FILE} in {model_dir}")
        self.path = path
        self.weights = (read or read_weights)(path)
        self.config = self.weights.config
        self._keras: Any = None

    def keras(self) -> Any:
        """The Keras Seq2SeqTransformer (loaded once; imports TensorFlow)."""
        if self._keras is None:
            from composeium_desktop.core.model.keras_file import load_model

            self._keras = load_model(self.model_dir)
        return self._keras

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.keras()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this object lacks; private names are never forwarded.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.keras(), name)
