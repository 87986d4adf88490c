"""What `composeium train` takes and returns, and the names of the files a run writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.model.config import TransformerConfig

REFERENCE_LENGTH = 256
CHECKPOINT_DIR = "checkpoint"
HISTORY_FILE = "history.json"
PLOT_FILE = "TrainingProgress.png"
BUCKET_COUNT = 7

# (meta ids, BOS + body ids + EOS, metric features [len(body) - 1, 5] of the input tokens)
Example = tuple[list[int], list[int], np.ndarray]
# meta [B, M], body input [B, T], metric features [B, T, 5], target [B, T]
Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class TrainOptions:
    """Everything `composeium train` takes; also stored in history.json."""

    out_dir: Path
    corpus: Sequence[Path] = ()
    include_music21: bool = True
    steps: int = 20000
    until: int | None = None  # stop after this step; the schedule still spans ``steps``
    max_minutes: float | None = None
    batch_size: int = 32
    # Sizes of the model to train; vocab_size is the body tokenizer's requested size, and
    # meta_vocab_size / max_meta_len are replaced by the metadata vocabulary's own.
    model: TransformerConfig = field(default_factory=TransformerConfig)
    lr: float = 1e-3
    warmup: int = 300
    schedule: str = "cosine"
    weight_decay: float = 0.01
    label_smoothing: float = 0.0
    # Loss weight of the tokens of each tune's last ``ending_bars`` bars and of its end token
    # (1 elsewhere; the training loss is the weighted mean). Validation stays unweighted.
    ending_weight: float = 1.0
    ending_bars: int = 1
    val_every: int = 200
    patience: int = 4
    buckets: int = BUCKET_COUNT
    seed: int = 0
    strategy: str = "default"
    # Training tunes with bars of the wrong length (transcription slips, unmarked meter
    # changes) are left out, so the model learns bars that fit; validation keeps them all.
    drop_wrong_bars: bool = True
    # Training tunes whose last note is not the tonic of their K: field are left out (a
    # quarter of the corpus's: tunes that stop on the third or the fifth, modal tunes written
    # under the key signature's major key), so a tune asked for in a key ends in it;
    # validation keeps them all.
    tonic_endings_only: bool = False
    # Weight of the syntax-hazard (unlikelihood) term in the training loss: the probability
    # the model gives the pieces that would make the text unreadable at each position (a
    # length after a length, a stray "}", a space after an accidental), judged by the
    # notation core's lexer (``syntax_hazards``). 0 = plain cross-entropy. Validation loss
    # stays plain cross-entropy.
    syntax_penalty: float = 0.0
    # Start from the weights of this saved model folder (its sizes and tokenizer); weights it
    # lacks (a new input's embeddings) start from their initialisers.
    init_from: Path | None = None
    jit_compile: bool = True
    resume: bool = False
    quiet: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        data["corpus"] = [str(p) for p in self.corpus]
        data["init_from"] = None if self.init_from is None else str(self.init_from)
        return data


@dataclass
class TrainResult:
    out_dir: Path
    steps: int
    best_val_loss: float
    final_train_loss: float
    wall_s: float
    stopped: str
    history: list[dict[str, float]] = field(default_factory=list)
