"""The Keras encoder-decoder Transformer and its cached decoding.

Importing this package does not import Keras/TensorFlow; the names below load on first use,
so the GUI can import it before TensorFlow (about 6 s) is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from composeium_desktop.core.model.config import CONFIG_FILE, MODEL_FILE, TransformerConfig

_LAZY = {
    "Seq2SeqTransformer": "composeium_desktop.core.model.transformer",
    "build_model": "composeium_desktop.core.model.storage",
    "load_model": "composeium_desktop.core.model.storage",
    "save_model": "composeium_desktop.core.model.storage",
    "TOKENIZER_DIR": "composeium_desktop.core.model.storage",
    "greedy_naive": "composeium_desktop.core.model.decoding",
    "greedy_cached": "composeium_desktop.core.model.decoding",
}

__all__ = ["CONFIG_FILE", "MODEL_FILE", "TransformerConfig", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
