"""A run's files: the loss plot, history and state JSON, checkpoints for ``--resume``, and the
options a resumed run keeps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from composeium_desktop.core import fileio
from composeium_desktop.core.model.config import TransformerConfig
from composeium_desktop.core.training.options import CHECKPOINT_DIR, TrainOptions


def save_plot(history: Sequence[dict[str, float]], path: Path) -> None:
    """Train and validation loss against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(steps, [h["train_loss"] for h in history], label="train", marker=".")
    ax.plot(steps, [h["val_loss"] for h in history], label="validation", marker=".")
    best = min(history, key=lambda h: h["val_loss"])
    ax.axvline(best["step"], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.set_title(
        f"Composeium training (best validation {best['val_loss']:.3f} at step {best['step']})"
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fileio.atomic_write(path, lambda handle: fig.savefig(handle, format="png"))
    finally:
        plt.close(fig)


def write_json(path: Path, data: Any) -> None:
    fileio.write_text(path, json.dumps(data, indent=1) + "\n")


def resume_state(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / CHECKPOINT_DIR / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def merge_resumed(options: TrainOptions, saved: dict[str, Any]) -> TrainOptions:
    """A resumed run keeps the saved data and model settings; budget settings may change."""
    keep = {
        "steps",
        "until",
        "max_minutes",
        "patience",
        "quiet",
        "resume",
        "out_dir",
        "jit_compile",
    }
    data = {k: v for k, v in saved.items() if k not in keep}
    data["corpus"] = [Path(p) for p in data.get("corpus", [])]
    data["model"] = _saved_model_config(data)
    # Runs saved before these options existed trained on every tune, from scratch.
    data.setdefault("drop_wrong_bars", False)
    data.setdefault("tonic_endings_only", False)
    data.setdefault("syntax_penalty", 0.0)
    data["init_from"] = Path(data["init_from"]) if data.get("init_from") else None
    return TrainOptions(**{**data, **{k: getattr(options, k) for k in keep}})


# Checkpoints written before the options held a TransformerConfig kept its sizes flat.
_LEGACY_SIZES = {
    "d_model": ("d_model",),
    "layers": ("encoder_layers", "decoder_layers"),
    "heads": ("num_heads",),
    "ff": ("d_ff",),
    "dropout": ("dropout",),
    "vocab_size": ("vocab_size",),
    "max_body_len": ("max_body_len",),
}


def _saved_model_config(data: dict[str, Any]) -> TransformerConfig:
    """The model sizes of saved options (removed from ``data``), in either layout."""
    sizes = dict(data.pop("model", None) or {})
    for old, names in _LEGACY_SIZES.items():
        if old in data:
            value = data.pop(old)
            sizes.update({name: value for name in names})
    return TransformerConfig.from_dict(sizes)


def save_checkpoint(model: Any, folder: Path, state: dict[str, Any]) -> None:
    """Weights and optimizer state (Keras saves both for a compiled model) + state.json."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_weights(folder / "checkpoint.tmp.weights.h5")
    (folder / "checkpoint.tmp.weights.h5").replace(folder / "checkpoint.weights.h5")
    write_json(folder / "state.json", state)


def load_checkpoint(model: Any, folder: Path) -> None:
    model.optimizer.build(model.trainable_variables)
    model.load_weights(folder / "checkpoint.weights.h5")
