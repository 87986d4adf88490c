"""A NumPy copy of a model's weights in the user's data folder, read instead of the ``.keras``
file when it is still that file's.

Reading the ``.keras`` file's HDF5 arrays means importing h5py and walking every group (0.14 s
here, on the way to the app's first tune, at every launch); ``numpy.load`` of the same arrays
takes a few milliseconds. The ``.keras`` file stays the model: the copy is written from it the
first time, keyed by the file's resolved path, size and modification time, checked at every
read, and written again when the file changed or the copy cannot be read (a copy is never
trusted over the file: anything unexpected in it is read as "no copy").
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core import fileio
from composeium_desktop.core.model.config import TransformerConfig
from composeium_desktop.core.model.weights import (
    Attention,
    DecoderLayerWeights,
    Dense,
    EncoderLayerWeights,
    FeedForward,
    ModelWeights,
    Norm,
    read_weights,
)

FORMAT = 1
_CLASSES = {
    cls.__name__: cls
    for cls in (
        ModelWeights,
        Norm,
        Dense,
        Attention,
        FeedForward,
        EncoderLayerWeights,
        DecoderLayerWeights,
    )
}


def cached_weights(path: Path, cache_dir: Path) -> ModelWeights:
    """The weights of the ``.keras`` file at ``path``: from its copy in ``cache_dir`` when the
    copy is the file's, else read from the file (and the copy written)."""
    key = _key(path)
    copy = cache_path(path, cache_dir)
    weights = _load(copy, key)
    if weights is not None:
        return weights
    weights = read_weights(path)
    with contextlib.suppress(OSError):  # a read-only data folder: read the file every time
        _save(copy, key, weights)
    return weights


def reader(cache_dir: Path) -> Callable[[Path], ModelWeights]:
    """A ``ModelFile`` reader that keeps its copies in ``cache_dir``."""
    return functools.partial(cached_weights, cache_dir=cache_dir)


def cache_path(path: Path, cache_dir: Path) -> Path:
    """Where the copy of the model at ``path`` lives (one per model file)."""
    name = hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / f"weights-{name}.npz"


def _key(path: Path) -> dict[str, Any]:
    stat = Path(path).stat()
    return {
        "format": FORMAT,
        "path": str(Path(path).resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def _load(copy: Path, key: dict[str, Any]) -> ModelWeights | None:
    try:
        with np.load(copy, allow_pickle=False) as data:
            spec = json.loads(str(data["__spec__"]))
            if spec.get("key") != key:
                return None
            arrays = {name: data[name] for name in data.files if name != "__spec__"}
        weights = _unflatten(spec["tree"], arrays)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    return weights if isinstance(weights, ModelWeights) else None


def _save(copy: Path, key: dict[str, Any], weights: ModelWeights) -> None:
    arrays: dict[str, np.ndarray] = {}
    spec = {"key": key, "tree": _flatten(weights, "w", arrays)}
    copy.parent.mkdir(parents=True, exist_ok=True)
    with fileio.atomic_path(copy, suffix=".npz") as tmp:
        entries: dict[str, Any] = {"__spec__": np.array(json.dumps(spec)), **arrays}
        np.savez(tmp, **entries)


def _flatten(value: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        arrays[name] = value
        return {"array": name}
    if isinstance(value, TransformerConfig):
        return {"config": value.to_dict()}
    if isinstance(value, tuple):
        return {"tuple": [_flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _CLASSES:
        return {
            "class": type(value).__name__,
            "fields": {
                field.name: _flatten(getattr(value, field.name), f"{name}.{field.name}", arrays)
                for field in dataclasses.fields(value)
            },
        }
    raise TypeError(f"cannot store a {type(value).__name__} in a weights copy")


def _unflatten(spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    if "array" in spec:
        return arrays[spec["array"]]
    if "config" in spec:
        return TransformerConfig.from_dict(spec["config"])
    if "tuple" in spec:
        return tuple(_unflatten(item, arrays) for item in spec["tuple"])
    cls = _CLASSES[spec["class"]]
    return cls(**{name: _unflatten(item, arrays) for name, item in spec["fields"].items()})
