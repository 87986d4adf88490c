"""Saving and loading a model folder: composeium.keras + config.json (+ tokenizer/ beside)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


from composeium_desktop.core import fileio  # noqa: E402
from composeium_desktop.core.model.config import (  # noqa: E402
    CONFIG_FILE,
    MODEL_FILE,
    TransformerConfig,
)
from composeium_desktop.core.model.keras_file import load_model  # noqa: E402
from composeium_desktop.core.model.parity import write_parity  # noqa: E402
from composeium_desktop.core.model.transformer import Seq2SeqTransformer  # noqa: E402

TOKENIZER_DIR = "tokenizer"
__all__ = ["TOKENIZER_DIR", "build_model", "load_model", "save_model"]


def build_model(config: TransformerConfig) -> Seq2SeqTransformer:
    """A new model with all weights created."""
    model = Seq2SeqTransformer(config)
    model.build()
    return model


def save_model(model: Seq2SeqTransformer, out_dir: Path, tokenizer_dir: Path | None = None) -> Path:
    """Writes out_dir/composeium.keras (weights and architecture, no optimizer state) and
    out_dir/config.json; copies tokenizer_dir to out_dir/tokenizer when given. Files are
    written under temporary names and renamed, so a reader never sees half a model. Then
    checks the NumPy decoder read from the written file against this model's forward pass
    and records the result in out_dir/parity.json (``core.model.parity``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plain = model
    if getattr(model, "optimizer", None) is not None:
        plain = build_model(model.config)
        plain.set_weights(model.get_weights())
    with fileio.atomic_path(out_dir / MODEL_FILE, suffix=".keras") as tmp_model:
        plain.save(tmp_model)
    model.config.save(out_dir / CONFIG_FILE)
    if tokenizer_dir is not None:
        target = out_dir / TOKENIZER_DIR
        if Path(tokenizer_dir).resolve() != target.resolve():
            shutil.copytree(tokenizer_dir, target, dirs_exist_ok=True)
    write_parity(out_dir, plain)
    return out_dir / MODEL_FILE
