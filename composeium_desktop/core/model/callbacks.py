"""Keras callbacks for `composeium train`: a progress line and the run's supervisor.

The supervisor runs at each validation interval (one Keras epoch): exact token-weighted
validation loss, best-model saving, a resumable checkpoint (weights + optimizer state +
state.json), the history file and plot, early stopping, and the wall-clock budget.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def current_lr(optimizer: Any) -> float:
    lr = optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(lr))


class ProgressLogger(keras.callbacks.Callback):
    """One progress line: step, bar, loss, learning rate, tokens/s, elapsed, ETA.

    Rewritten in place on a terminal; on a pipe or log file a line every ``log_every`` steps.
    """

    def __init__(
        self,
        total_steps: int,
        deadline: float | None,
        stream: TextIO = sys.stderr,
        log_every: int = 10,
    ) -> None:
        super().__init__()
        self.total_steps = total_steps
        self.deadline = deadline
        self.stream = stream
        self.log_every = log_every
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.rate = 0.0
        self.started = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.mark = (time.monotonic(), 0.0)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        now = time.monotonic()
        tokens = float(logs.get("tokens", 0.0))
        then, tokens_then = self.mark
        if now - then >= 2.0:
            rate = (tokens - tokens_then) / (now - then)
            self.rate = rate if not self.rate else 0.7 * self.rate + 0.3 * rate
            self.mark = (now, tokens)
        if not self.tty and step % self.log_every:
            return
        self.write(step, float(logs.get("loss", float("nan"))), now)

    def write(self, step: int, loss: float, now: float) -> None:
        done = min(step / max(self.total_steps, 1), 1.0)
        bar = "#" * int(done * 20) + "." * (20 - int(done * 20))
        elapsed = now - self.started
        per_step = elapsed / max(step - getattr(self, "first_step", 0), 1)
        eta = (self.total_steps - step) * per_step
        if self.deadline is not None:
            eta = min(eta, self.deadline - now)
        line = (
            f"step {step}/{self.total_steps} [{bar}] loss {loss:.4f} "
            f"lr {current_lr(self.model.optimizer):.2e} {self.rate:,.0f} tok/s "
            f"{_clock(elapsed)} elapsed, ETA {_clock(eta)}"
        )
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.first_step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class TrainingSupervisor(keras.callbacks.Callback):
    """Validation, best model, checkpoint, history, early stopping and the time budget.

    ``on_validation(step, train_loss, val_loss, improved)`` persists everything (given by the
    training module so this class holds no file formats); it returns nothing.
    """

    def __init__(
        self,
        validate: Callable[[], float],
        on_validation: Callable[[int, float, float, bool], None],
        total_steps: int,
        patience: int,
        best_val_loss: float,
        bad_validations: int,
        deadline: float | None,
        log: Callable[[str], None],
        until: int | None = None,
    ) -> None:
        super().__init__()
        self.validate = validate
        self.until = until
        self.on_validation = on_validation
        self.total_steps = total_steps
        self.patience = patience
        self.best_val_loss = best_val_loss
        self.bad_validations = bad_validations
        self.deadline = deadline
        self.log = log
        self.stopped = "steps"

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # The epoch ends here and on_epoch_end validates at exactly this step.
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if step >= self.total_steps:
            self.stopped = "steps"
            self.model.stop_training = True
        elif self.until is not None and step >= self.until:
            self.stopped = "until"
            self.model.stop_training = True
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = "time budget"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        started = time.monotonic()
        val_loss = self.validate()
        improved = val_loss < self.best_val_loss - 1e-4
        if improved:
            self.best_val_loss = val_loss
            self.bad_validations = 0
        else:
            self.bad_validations += 1
        train_loss = float(logs.get("loss", float("nan")))
        self.on_validation(step, train_loss, val_loss, improved)
        self.log(
            f"validation at step {step}: train {train_loss:.4f}, val {val_loss:.4f}"
            f"{' (best)' if improved else f' (best {self.best_val_loss:.4f})'}"
            f", {time.monotonic() - started:.1f} s"
        )
        if self.bad_validations >= self.patience:
            self.stopped = "early stopping"
            self.model.stop_training = True
