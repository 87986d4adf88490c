"""The NumPy decoder against the Keras forward pass, checked once per saved model.

``check_parity(model_dir)`` reads the folder's ``.keras`` file twice, with ``weights.read_weights``
into the NumPy encoder/decoder and with Keras, and compares the cached NumPy step's logits with
the full Keras forward pass at every position of a probe (random body tokens and metric
features; one request with real metadata, one with none). ``save_model`` runs it and writes the
result to ``parity.json`` beside the model, so composing never imports TensorFlow to check;
``Generator.load`` reads the record and falls back to the XLA step only if it says the NumPy
decoder differs (a record for another file, or none, is not trusted or distrusted: it is
ignored). ``composeium bench --parity`` rewrites the record of a model folder.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import FEATURE_SIZES
from composeium_desktop.core.model.config import MODEL_FILE

PARITY_FILE = "parity.json"
# The NumPy step's logits must equal the Keras model's this closely.
PARITY_ATOL = 1e-4
PROBE_POSITIONS = 48


@dataclass(frozen=True)
class ParityResult:
    """How far the NumPy decoder's logits were from the Keras model's on the probe."""

    max_abs_diff: float
    tolerance: float
    positions: int
    model_sha256: str
    checked_at: str

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _probe(config: Any, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    length = min(PROBE_POSITIONS, int(config.max_body_len))
    probes = []
    for real in (min(7, int(config.max_meta_len)), 0):
        meta = np.zeros((1, int(config.max_meta_len)), np.int32)
        meta[0, :real] = rng.integers(1, max(int(config.meta_vocab_size), 2), real)
        body = rng.integers(1, int(config.vocab_size), (1, length)).astype(np.int32)
        metric = np.stack([rng.integers(0, n, (1, length)) for n in FEATURE_SIZES], -1)
        probes.append({"meta": meta, "body": body, "metric": metric.astype(np.int32)})
    return probes


def max_logit_difference(keras_model: Any, decoder: Any, seed: int = 0) -> tuple[float, int]:
    """The largest |NumPy step logit - Keras forward logit| over the probe, and its positions."""
    worst, positions = 0.0, 0
    for inputs in _probe(keras_model.config, seed):
        full = np.asarray(keras_model(inputs, training=False))[0]
        state = decoder.start(inputs["meta"][0], inputs["body"].shape[1])
        for p, token in enumerate(inputs["body"][0]):
            features = tuple(int(v) for v in inputs["metric"][0, p])
            logits = decoder.step(state, int(token), p, features)
            worst = max(worst, float(np.abs(logits - full[p]).max()))
            positions += 1
    return worst, positions


def check_parity(model_dir: Path, keras_model: Any = None) -> ParityResult:
    """Compare the NumPy decoder read from model_dir's file with the Keras model (the one
    given, else the file loaded by Keras, which imports TensorFlow)."""
    from composeium_desktop.core.model.numpy_decoder import NumpyDecoder
    from composeium_desktop.core.model.weights import read_weights

    path = Path(model_dir) / MODEL_FILE
    decoder = NumpyDecoder(read_weights(path))
    if keras_model is None:
        from composeium_desktop.core.model.keras_file import load_model

        keras_model = load_model(Path(model_dir))
    worst, positions = max_logit_difference(keras_model, decoder)
    return ParityResult(
        max_abs_diff=worst,
        tolerance=PARITY_ATOL,
        positions=positions,
        model_sha256=file_digest(path),
        checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def write_parity(model_dir: Path, keras_model: Any = None) -> ParityResult:
    """check_parity, recorded in model_dir/parity.json (written atomically)."""
    result = check_parity(model_dir, keras_model)
    from composeium_desktop.core import fileio

    fileio.write_text(Path(model_dir) / PARITY_FILE, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def recorded_parity(model_dir: Path) -> ParityResult | None:
    """The parity.json record of the model file now in model_dir (None when there is none or
    it was written for another file)."""
    folder = Path(model_dir)
    record = folder / PARITY_FILE
    if not record.is_file():
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    if data.get("model_sha256") != file_digest(folder / MODEL_FILE):
        return None
    return ParityResult(
        max_abs_diff=float(data["max_abs_diff"]),
        tolerance=float(data["tolerance"]),
        positions=int(data["positions"]),
        model_sha256=str(data["model_sha256"]),
        checked_at=str(data["checked_at"]),
    )
