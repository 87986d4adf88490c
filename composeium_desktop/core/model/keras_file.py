"""Loading a saved model folder's ``composeium.keras`` as a Keras model (which imports the Keras
backend, TensorFlow by default): for training, the XLA step and the parity check, never for
composing, which reads the same file's arrays with h5py (``core.model.weights``)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from composeium_desktop.core.model.config import MODEL_FILE  # noqa: E402
from composeium_desktop.core.model.transformer import Seq2SeqTransformer  # noqa: E402


def load_model(model_dir: Path) -> Seq2SeqTransformer:
    """The model saved in model_dir (a folder written by save_model, e.g. model/)."""
    path = Path(model_dir) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {MODEL_FILE} in {model_dir}")
    model = keras.saving.load_model(path, compile=False)
    if not isinstance(model, Seq2SeqTransformer):
        raise TypeError(f"{path} does not hold a Seq2SeqTransformer")
    return model
