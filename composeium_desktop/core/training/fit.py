"""Training the Transformer: one run from the corpus to a saved model (``train``).

The data pipeline is ``training.data``, the model's compilation and strategies
``training.runtime``, the run's files ``training.checkpoints``. The loop is Keras ``fit`` under a tf.distribute strategy (default, mirrored, multi-worker),
with one Keras "epoch" per validation interval. Callbacks print progress, measure the exact
token-weighted validation loss, keep the best model, checkpoint the full state (with the
optimizer) for ``--resume``, stop early, and respect a wall-clock budget.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.corpus.lengths import LENGTHS_FILE, lengths_of_records
from composeium_desktop.core.corpus.wellformed import WELLFORMED_FILE, wellformed_of_records
from composeium_desktop.core.model.config import TransformerConfig
from composeium_desktop.core.training.checkpoints import (
    load_checkpoint,
    merge_resumed,
    resume_state,
    save_checkpoint,
    save_plot,
    write_json,
)
from composeium_desktop.core.training.data import (
    BucketedBatches,
    bucket_boundaries,
    encode_record,
    ending_weights,
    ends_off_tonic,
    has_wrong_bars,
    make_dataset,
    prepare_tokenizers,
    split_records,
)
from composeium_desktop.core.training.options import (
    CHECKPOINT_DIR,
    HISTORY_FILE,
    PLOT_FILE,
    REFERENCE_LENGTH,
    Batch,
    Example,
    TrainOptions,
    TrainResult,
)
from composeium_desktop.core.training.runtime import (
    compile_model,
    copy_matching_weights,
    is_chief,
    make_strategy,
    mean_nll,
    nll_function,
)

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@dataclass
class _RunData:
    """What a run trains and validates on, and the shapes it was batched to."""

    tokenizer: Any
    meta_vocab: Any
    train: BucketedBatches
    val_batches: list[Batch]
    meta_len: int
    hazards: list[tuple[int, ...]]
    info: dict[str, Any]


@dataclass
class _RunState:
    """Where a resumed run stands (all zero for a new run)."""

    history: list[dict[str, float]] = field(default_factory=list)
    previous_wall: float = 0.0
    best: float = float("inf")
    bad: int = 0

    @classmethod
    def of(cls, saved: dict[str, Any] | None) -> _RunState:
        if saved is None:
            return cls()
        return cls(
            list(saved["history"]),
            float(saved["wall_s"]),
            float(saved["best_val_loss"]),
            int(saved["bad_validations"]),
        )


def _training_records(
    options: TrainOptions, records: Sequence[Any] | None, say: Callable[[str], None]
) -> tuple[list[Any], list[Any], Any, Any]:
    """(train records, validation records, the lengths table and the well-formedness table of
    all training tunes: the corpus's own measure, before any are left out)."""
    if records is None:
        from composeium_desktop.core.corpus import load_corpus

        records = load_corpus(options.corpus, include_music21=options.include_music21)
    train_records, val_records = split_records(records)
    lengths = lengths_of_records(train_records)
    wellformed = wellformed_of_records(train_records)
    if options.drop_wrong_bars:
        kept = [r for r in train_records if not has_wrong_bars(r)]
        say(f"left out {len(train_records) - len(kept)} training tunes with wrong-length bars")
        train_records = kept
    if options.tonic_endings_only:
        kept = [r for r in train_records if not ends_off_tonic(r)]
        say(f"left out {len(train_records) - len(kept)} training tunes not ending on the tonic")
        train_records = kept
    return train_records, val_records, lengths, wellformed


def _warm_start(options: TrainOptions, out_dir: Path) -> tuple[TrainOptions, Any]:
    """The model to copy weights from (``--init-from``) and the options with its sizes."""
    import shutil

    from composeium_desktop.core.model.storage import TOKENIZER_DIR, load_model

    assert options.init_from is not None
    init_model = load_model(Path(options.init_from))
    sizes = replace(
        init_model.config,
        metric_features=options.model.metric_features,
        length_feature=options.model.length_feature,
        metric_scaled=options.model.metric_scaled,
        form_features=options.model.form_features,
        dropout=options.model.dropout,
    )
    if not (out_dir / TOKENIZER_DIR).is_dir():
        shutil.copytree(Path(options.init_from) / TOKENIZER_DIR, out_dir / TOKENIZER_DIR)
    return replace(options, model=sizes), init_model


def _hazard_rows(
    options: TrainOptions, tokenizer: Any, examples: Sequence[Example], say: Callable[[str], None]
) -> tuple[list[tuple[int, ...]], list[np.ndarray] | None]:
    """The syntax-hazard table's rows and each example's codes (``--syntax-penalty``)."""
    if not options.syntax_penalty:
        return [], None
    from composeium_desktop.core.features.syntax_hazards import HazardTable

    table = HazardTable(tokenizer.pieces)
    rows = [
        table.codes(body[1:-1], end=True)
        if body[-1] == tokenizer.eos_id
        else table.codes(body[1:], end=False)
        for _, body, _ in examples
    ]
    marked = sum(int((codes != 0).sum()) for codes in rows)
    say(
        f"syntax hazards: {len(table.rows) - 1} sets of forbidden pieces over "
        f"{marked:,} positions (penalty weight {options.syntax_penalty:g})"
    )
    return table.rows, rows


def _run_data(
    options: TrainOptions,
    out_dir: Path,
    train_records: Sequence[Any],
    val_records: Sequence[Any],
    say: Callable[[str], None],
) -> _RunData:
    default_corpus = options.include_music21 and not options.corpus
    tokenizer, meta_vocab, _ = prepare_tokenizers(
        out_dir, train_records, options.model.vocab_size, options.seed, default_corpus
    )
    max_len = options.model.max_body_len
    train_examples = [encode_record(r, tokenizer, meta_vocab, max_len) for r in train_records]
    val_examples = [encode_record(r, tokenizer, meta_vocab, max_len) for r in val_records]
    # Titles longer than 99.5% of the corpus's are cut rather than padding every batch.
    meta_lengths = [len(m) for m, _, _ in train_examples + val_examples]
    meta_len = min(meta_vocab.max_len, int(math.ceil(np.quantile(meta_lengths, 0.995) / 8) * 8))
    boundaries = bucket_boundaries(
        [len(b) - 1 for _, b, _ in train_examples + val_examples], options.buckets
    )
    budget = options.batch_size * REFERENCE_LENGTH
    hazards, hazard_rows = _hazard_rows(options, tokenizer, train_examples, say)
    train_data = BucketedBatches(
        train_examples,
        boundaries,
        budget,
        meta_len,
        hazard_rows=hazard_rows,
        vocab_size=tokenizer.vocab_size,
    )
    val_batches = BucketedBatches(val_examples, boundaries, budget, meta_len).fixed_batches()
    train_tokens = sum(len(b) - 1 for _, b, _ in train_examples)
    say(
        f"{len(train_examples)} training tunes ({train_tokens:,} "
        f"tokens), {len(val_examples)} validation tunes; buckets {boundaries} x batch "
        f"{train_data.batch_sizes}; {train_data.steps_per_epoch()} steps per epoch"
    )
    info = {
        "train_tunes": len(train_examples),
        "validation_tunes": len(val_examples),
        "train_tokens": train_tokens,
        "buckets": boundaries,
        "batch_sizes": train_data.batch_sizes,
        "steps_per_epoch": train_data.steps_per_epoch(),
    }
    return _RunData(tokenizer, meta_vocab, train_data, val_batches, meta_len, hazards, info)


def _build(
    options: TrainOptions,
    config: TransformerConfig,
    data: _RunData,
    strategy: Any,
    resumed: bool,
    init_model: Any,
    say: Callable[[str], None],
) -> Any:
    """The compiled model under ``strategy``: from the checkpoint, the warm start or fresh."""
    from composeium_desktop.core.model.storage import build_model

    out_dir = Path(options.out_dir)
    with strategy.scope():
        model = build_model(config)
        compile_model(model, options, hazards=data.hazards)
        if resumed:
            load_checkpoint(model, out_dir / CHECKPOINT_DIR)
        elif init_model is not None:
            copied, fresh = copy_matching_weights(init_model, model)
            say(
                f"initialised {copied} weights from {options.init_from}; new: "
                + (", ".join(fresh) or "none")
            )
    return model


def train(
    options: TrainOptions,
    records: Sequence[Any] | None = None,
    log: Callable[[str], None] | None = None,
    stream: Any = sys.stderr,
) -> TrainResult:
    """Trains (or resumes) a model into options.out_dir; returns the run's summary.

    ``records`` replaces the corpus (tests); otherwise load_corpus(options.corpus,
    options.include_music21) is used."""
    import keras
    import tensorflow as tf

    def say(message: str) -> None:
        if log is not None:
            log(message)
        elif not options.quiet:
            print(message, file=stream, flush=True)

    tf.get_logger().setLevel("ERROR")  # one trace per length bucket is expected, not a warning
    started = time.monotonic()
    out_dir = Path(options.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved_state = resume_state(out_dir) if options.resume else None
    if options.resume and saved_state is None:
        say(f"no checkpoint in {out_dir / CHECKPOINT_DIR}; starting a new run")
    if saved_state is not None:
        options = merge_resumed(options, saved_state["options"])
    deadline = started + options.max_minutes * 60 if options.max_minutes else None

    keras.utils.set_random_seed(options.seed)
    train_records, val_records, lengths, wellformed = _training_records(options, records, say)
    init_model = None
    if options.init_from is not None and saved_state is None:
        options, init_model = _warm_start(options, out_dir)
    data = _run_data(options, out_dir, train_records, val_records, say)
    # The lengths a request without one is drawn from (all training tunes, wrong bars or not).
    lengths.save(out_dir / LENGTHS_FILE)
    # The corpus's measure of a well-formed tune, which constrained decoding holds to (all
    # training tunes, as for the lengths).
    wellformed.save(out_dir / WELLFORMED_FILE)
    config = replace(
        options.model,
        vocab_size=data.tokenizer.vocab_size,
        meta_vocab_size=data.meta_vocab.vocab_size,
        max_meta_len=data.meta_vocab.max_len,
    )
    strategy = make_strategy(options.strategy)
    model = _build(options, config, data, strategy, saved_state is not None, init_model, say)
    step0 = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    say(
        f"model: {model.count_params():,} parameters, {config}; strategy {options.strategy} "
        f"({strategy.num_replicas_in_sync} replica(s)); "
        + (f"resuming at step {step0}" if step0 else "new run")
    )
    data.info["parameters"] = int(model.count_params())
    run = _RunState.of(saved_state)
    stopped = _fit(
        options, config, data, model, step0, run, is_chief(strategy), started, deadline, stream, say
    )
    wall = run.previous_wall + time.monotonic() - started
    if is_chief(strategy) and run.history:
        state = json.loads((out_dir / HISTORY_FILE).read_text(encoding="utf-8"))
        write_json(out_dir / HISTORY_FILE, {**state, "stopped": stopped, "wall_s": wall})
    return _summary(out_dir, run.history, step0, wall, stopped, say)


@dataclass
class _Recorder:
    """At each validation: the history entry, and on the chief the best model, the
    checkpoint, history.json and the plot."""

    options: TrainOptions
    config: TransformerConfig
    data: _RunData
    model: Any
    run: _RunState
    chief: bool
    started: float
    supervisor: Any = None

    def on_validation(self, step: int, train_loss: float, val_loss: float, improved: bool) -> None:
        import keras

        from composeium_desktop.core.model.storage import save_model

        wall = self.run.previous_wall + time.monotonic() - self.started
        learning_rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        self.run.history.append(
            {
                "step": step,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": float(learning_rate),
                "wall_s": wall,
            }
        )
        if not self.chief:
            return
        out_dir = Path(self.options.out_dir)
        if improved:
            save_model(self.model, out_dir)
        state = {
            "options": self.options.to_json(),
            "config": self.config.to_dict(),
            "data": self.data.info,
            "history": self.run.history,
            "best_val_loss": self.supervisor.best_val_loss,
            "bad_validations": self.supervisor.bad_validations,
            "wall_s": wall,
        }
        save_checkpoint(self.model, out_dir / CHECKPOINT_DIR, state)
        write_json(out_dir / HISTORY_FILE, {**state, "stopped": None})
        save_plot(self.run.history, out_dir / PLOT_FILE)


def _fit(
    options: TrainOptions,
    config: TransformerConfig,
    data: _RunData,
    model: Any,
    step0: int,
    run: _RunState,
    chief: bool,
    started: float,
    deadline: float | None,
    stream: Any,
    say: Callable[[str], None],
) -> str:
    """Keras ``fit`` from ``step0`` with validation, checkpoints and early stopping; returns
    why it stopped."""
    from composeium_desktop.core.model.callbacks import ProgressLogger, TrainingSupervisor

    nll = nll_function(model, options.jit_compile)
    recorder = _Recorder(options, config, data, model, run, chief, started)
    supervisor = TrainingSupervisor(
        validate=lambda: mean_nll(data.val_batches, nll),
        on_validation=recorder.on_validation,
        total_steps=options.steps,
        until=options.until,
        patience=options.patience,
        best_val_loss=run.best,
        bad_validations=run.bad,
        deadline=deadline,
        log=say,
    )
    recorder.supervisor = supervisor
    callbacks: list[Any] = [supervisor]
    if not options.quiet:
        callbacks.insert(0, ProgressLogger(options.steps, deadline, stream))
    epochs = int(math.ceil(options.steps / options.val_every))
    initial_epoch = step0 // options.val_every
    stop_at = min(options.steps, options.until or options.steps)
    if step0 >= stop_at or initial_epoch >= epochs:
        return "until" if stop_at < options.steps else "steps"  # already there
    weigh = None
    if options.ending_weight != 1.0:
        eos = data.tokenizer.eos_id
        weigh = lambda metric, target: ending_weights(  # noqa: E731
            metric, target, eos, options.ending_weight, options.ending_bars
        )
    dataset = make_dataset(
        lambda: data.train.training_stream(options.seed, skip=step0), data.meta_len, weigh
    )
    model.fit(
        dataset,
        epochs=epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=options.val_every,
        callbacks=callbacks,
        shuffle=False,
        verbose=0,
    )
    return str(supervisor.stopped)


def _summary(
    out_dir: Path,
    history: list[dict[str, float]],
    step0: int,
    wall: float,
    stopped: str,
    say: Callable[[str], None],
) -> TrainResult:
    best_entry = min(history, key=lambda h: h["val_loss"]) if history else None
    say(
        f"stopped ({stopped}) at step {history[-1]['step'] if history else step0}; best "
        f"validation loss {best_entry['val_loss'] if best_entry else float('nan'):.4f}; "
        f"wall time {wall / 60:.1f} min; model in {out_dir}"
    )
    return TrainResult(
        out_dir=out_dir,
        steps=int(history[-1]["step"]) if history else step0,
        best_val_loss=best_entry["val_loss"] if best_entry else float("nan"),
        final_train_loss=history[-1]["train_loss"] if history else float("nan"),
        wall_s=wall,
        stopped=stopped,
        history=history,
    )
