"""Training objectives: masked cross-entropy, a target-token counter and the LR schedule.

All registered serializable, so a training checkpoint (.keras with optimizer state) reloads.
"""

from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

PAD_ID = 0


def _per_replica(loss: Any) -> Any:
    """``loss`` divided by the number of replicas of the current tf.distribute strategy."""
    if keras.backend.backend() != "tensorflow":
        return loss
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


@keras.saving.register_keras_serializable(package="composeium")
class MaskedCrossEntropy(keras.losses.Loss):
    """Mean next-token cross-entropy (nats) over non-pad targets, optional label smoothing and
    an optional syntax-hazard (unlikelihood) term.

    Returns the batch's token-weighted mean directly (reduction "sum" of a scalar), so short
    and long tunes count per token, not per tune.

    With ``hazards`` (rows of piece ids, row 0 empty; see ``syntax_hazards.HazardTable``) and
    ``hazard_weight`` > 0, each target arrives as ``token + vocab_size * row`` and the loss of
    a position adds ``hazard_weight * -ln(1 - p(forbidden))``, where p(forbidden) is the
    probability the model gives the pieces of that row: the pieces that would make the text
    unreadable there. The target token itself is never in its row.
    """

    def __init__(
        self,
        label_smoothing: float = 0.0,
        name: str = "masked_cross_entropy",
        hazard_weight: float = 0.0,
        hazards: Any = (),
        vocab_size: int = 0,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="sum", **kwargs)
        self.label_smoothing = label_smoothing
        self.hazard_weight = float(hazard_weight)
        self.hazards = [[int(i) for i in row] for row in hazards]
        self.vocab_size = int(vocab_size)
        if self.hazard_weight and (not self.hazards or self.vocab_size < 1):
            raise ValueError("a hazard weight needs the hazard rows and the vocabulary size")
        self._table: np.ndarray | None = None

    def hazard_table(self) -> np.ndarray:
        """float32 [rows, vocab_size]: 1 where a row forbids a piece."""
        if self._table is None:
            from composeium_desktop.core.features.syntax_hazards import hazard_matrix

            self._table = hazard_matrix(self.hazards, self.vocab_size)
        return self._table

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """The mean over non-pad targets; with ``sample_weight`` [batch, length], the mean
        weighted by it (Keras's own weighting would scale the already-reduced scalar).

        Under a tf.distribute strategy with N replicas the value is divided by N, as Keras
        does for the losses it reduces itself: it sums the replicas' gradients, and reports
        the loss multiplied by N again (without this, mirrored training took N times the
        gradient and reported N times the loss)."""
        return _per_replica(self.call(y_true, y_pred, sample_weight))

    def call(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        targets = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(targets, PAD_ID), "float32")
        rows = None
        if self.hazard_weight:
            rows = targets // self.vocab_size
            targets = targets % self.vocab_size
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, "float32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        nll = -ops.squeeze(ops.take_along_axis(log_probs, targets[..., None], axis=-1), -1)
        if self.label_smoothing:
            smooth = -ops.mean(log_probs, axis=-1)
            nll = (1.0 - self.label_smoothing) * nll + self.label_smoothing * smooth
        if rows is not None:
            forbidden = ops.take(ops.convert_to_tensor(self.hazard_table()), rows, axis=0)
            mass = ops.sum(ops.exp(log_probs) * forbidden, axis=-1)
            nll = nll - self.hazard_weight * ops.log(ops.clip(1.0 - mass, 1e-6, 1.0))
        return ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1e-9)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label_smoothing": self.label_smoothing,
            "hazard_weight": self.hazard_weight,
            "hazards": self.hazards,
            "vocab_size": self.vocab_size,
        }


@keras.saving.register_keras_serializable(package="composeium")
class TokenCount(keras.metrics.Metric):
    """Number of non-pad target tokens seen since the last reset (for tokens/s)."""

    def __init__(self, name: str = "tokens", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="count")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        real = ops.not_equal(ops.cast(y_true, "int32"), PAD_ID)
        self.count.assign_add(ops.sum(ops.cast(real, "float32")))

    def result(self) -> Any:
        return self.count

    def reset_state(self) -> None:
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="composeium")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over ``warmup`` steps, then cosine decay to
    ``peak * final_ratio`` at ``total_steps`` ("cosine") or inverse square root ("rsqrt")."""

    def __init__(
        self,
        peak: float,
        warmup: int,
        total_steps: int,
        kind: str = "cosine",
        final_ratio: float = 0.05,
    ) -> None:
        if kind not in ("cosine", "rsqrt"):
            raise ValueError(f"unknown schedule {kind!r}")
        self.peak = float(peak)
        self.warmup = int(warmup)
        self.total_steps = int(total_steps)
        self.kind = kind
        self.final_ratio = float(final_ratio)

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32") + 1.0
        warmup = float(max(self.warmup, 1))
        ramp = step / warmup
        if self.kind == "rsqrt":
            decay = ops.sqrt(warmup / ops.maximum(step, warmup))
        else:
            span = float(max(self.total_steps - self.warmup, 1))
            progress = ops.clip((step - warmup) / span, 0.0, 1.0)
            cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
            decay = self.final_ratio + (1.0 - self.final_ratio) * cosine
        return self.peak * ops.where(step < warmup, ramp, decay)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak": self.peak,
            "warmup": self.warmup,
            "total_steps": self.total_steps,
            "kind": self.kind,
            "final_ratio": self.final_ratio,
        }
