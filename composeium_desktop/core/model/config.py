"""The Transformer's hyper-parameters as one plain dataclass, stored beside the model as JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composeium_desktop.core import fileio

CONFIG_FILE = "config.json"
MODEL_FILE = "composeium.keras"


@dataclass
class TransformerConfig:
    """Sizes of the encoder-decoder; the defaults are the seed configuration."""

    vocab_size: int = 1000
    meta_vocab_size: int = 512
    d_model: int = 128
    encoder_layers: int = 4
    decoder_layers: int = 4
    num_heads: int = 8
    d_ff: int = 512
    dropout: float = 0.1
    max_body_len: int = 512
    max_meta_len: int = 48
    # The decoder also reads each token's metric position (core.metric_features).
    metric_features: bool = True
    # ... and the bars still to go before the tune's intended length (the fifth feature).
    length_feature: bool = True
    # The summed feature embeddings are scaled by sqrt(d_model), like the token embeddings, so
    # the optimiser moves them as fast (relative to the token signal) as it moves the tokens'.
    metric_scaled: bool = True
    # ... and where it stands in the tune's form: part, bar in the part, bars to go in the part,
    # ending (the last four features).
    form_features: bool = True

    def __post_init__(self) -> None:
        if self.d_model % self.num_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be a multiple of num_heads ({self.num_heads})"
            )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformerConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        # Configs written before the field existed describe decoders without the features.
        values.setdefault("metric_features", False)
        values.setdefault("length_feature", False)
        values.setdefault("metric_scaled", False)
        values.setdefault("form_features", False)
        return cls(**values)

    def save(self, path: Path) -> None:
        fileio.write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TransformerConfig:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
