"""Training the Transformer: data pipeline, fit loop, checkpoints, early stopping, plot.

Data: corpus records -> (metadata ids, BOS + body ids + EOS), grouped into length buckets; a
batch holds about ``batch_size * REFERENCE_LENGTH`` tokens, padded only to its bucket's
boundary, so XLA compiles one program per bucket. Epoch order is drawn from
``numpy.random.default_rng((seed, epoch))``: the same seed gives the same batches, and a
resumed run skips exactly the batches it has already trained on.

The loop is Keras ``fit`` under a tf.distribute strategy (default, mirrored, multi-worker),
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
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import FEATURE_SIZES, MAX_BARS
from composeium_desktop.core.model.config import TransformerConfig
from composeium_desktop.core.corpus.lengths import LENGTHS_FILE, lengths_of_records

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

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


# Data.


UNKNOWN_LENGTH_PERCENT = 20
"""Share of tunes (chosen by a hash of the body) trained without their length, so the decoder
also writes well when no length is given (its ``to_go`` feature reads "unknown")."""


def length_hidden(body: str) -> bool:
    """Whether this body trains without its length (a fixed ~20% of tunes, any run or split)."""
    return zlib.crc32(body.encode("utf-8")) % 100 < UNKNOWN_LENGTH_PERCENT


def encode_record(
    record: Any,
    tokenizer: Any,
    meta_vocab: Any,
    max_body_len: int,
    known_length: bool | None = None,
) -> Example:
    """(metadata ids, [BOS] + body ids + [EOS], metric features of BOS and each body token) of
    a record, cut to max_body_len + 1 tokens.

    The metadata uses the record's own tonic; generation passes the requested tonic the same
    way, while the body is always in the mode's normalised tonic (C). The ``to_go`` feature
    counts down to the record's own length, except for the tunes ``length_hidden`` picks
    (``known_length`` None, as in training) or for every tune (False)."""
    from composeium_desktop.core.features.metric import body_bars, sequence_features

    meta = meta_vocab.encode(record.title, record.tonic, record.mode, record.meter, record.genre)
    ids = tokenizer.encode(record.body)
    body = [tokenizer.bos_id, *ids, tokenizer.eos_id][: max_body_len + 1]
    known = not length_hidden(record.body) if known_length is None else known_length
    total = body_bars(record.body, record.meter) if known else None
    metric = sequence_features([tokenizer.pieces[i] for i in ids], record.meter, total)
    return meta, body, metric[: len(body) - 1]


def bucket_boundaries(
    lengths: Sequence[int], count: int = BUCKET_COUNT, step: int = 8
) -> list[int]:
    """At most ``count`` padded lengths (multiples of ``step``) that minimise the padded token
    total of these lengths (dynamic programming over the rounded lengths)."""
    rounded = np.maximum(1, np.ceil(np.asarray(lengths) / step).astype(np.int64)) * step
    values, counts = np.unique(rounded, return_counts=True)
    n = len(values)
    count = max(1, min(count, n))
    before = np.concatenate([[0], np.cumsum(counts)])  # tunes with value index < i
    # cost[k][j]: least padded total for values[:j+1] in k+1 buckets, the last ending at j.
    inf = float("inf")
    cost = np.full((count, n), inf)
    back = np.zeros((count, n), np.int64)
    cost[0] = values * before[1:]
    for k in range(1, count):
        for j in range(k, n):
            options = cost[k - 1, k - 1 : j] + values[j] * (before[j + 1] - before[k : j + 1])
            best = int(np.argmin(options))
            cost[k, j], back[k, j] = options[best], best + k - 1
    k, j = int(np.argmin(cost[:, n - 1])), n - 1
    bounds = []
    while k >= 0:
        bounds.append(int(values[j]))
        j, k = int(back[k, j]), k - 1
    return sorted(bounds)


class BucketedBatches:
    """Fixed-shape batches of examples: one shape per bucket, a token budget per batch."""

    def __init__(
        self,
        examples: Sequence[Example],
        boundaries: Sequence[int],
        tokens_per_batch: int,
        meta_len: int,
        hazard_rows: Sequence[np.ndarray] | None = None,
        vocab_size: int = 0,
    ) -> None:
        """With ``hazard_rows`` (each example's ``HazardTable.codes``), every target is
        written ``token + vocab_size * row`` for ``MaskedCrossEntropy``'s hazard term."""
        if hazard_rows is not None and (len(hazard_rows) != len(examples) or vocab_size < 1):
            raise ValueError("hazard rows need one array per example and the vocabulary size")
        self.hazard_rows = None if hazard_rows is None else list(hazard_rows)
        self.vocab_size = vocab_size
        self.examples = list(examples)
        self.boundaries = list(boundaries)
        self.meta_len = meta_len
        self.batch_sizes = [max(1, tokens_per_batch // b) for b in self.boundaries]
        self.buckets: list[list[int]] = [[] for _ in self.boundaries]
        for index, (_, body, _) in enumerate(self.examples):
            length = len(body) - 1
            bucket = next(
                (i for i, b in enumerate(self.boundaries) if length <= b), len(self.boundaries) - 1
            )
            self.buckets[bucket].append(index)

    def steps_per_epoch(self) -> int:
        return sum(len(ix) // n for ix, n in zip(self.buckets, self.batch_sizes, strict=True))

    def _make(self, indices: Sequence[int], bucket: int, rows: int) -> Batch:
        width = self.boundaries[bucket]
        meta = np.zeros((rows, self.meta_len), np.int32)
        body = np.zeros((rows, width), np.int32)
        metric = np.zeros((rows, width, len(FEATURE_SIZES)), np.int32)
        target = np.zeros((rows, width), np.int32)
        for row, index in enumerate(indices):
            meta_ids, ids, features = self.examples[index]
            ids = ids[: width + 1]
            meta[row, : len(meta_ids)] = meta_ids[: self.meta_len]
            body[row, : len(ids) - 1] = ids[:-1]
            metric[row, : len(ids) - 1] = features[: len(ids) - 1]
            target[row, : len(ids) - 1] = ids[1:]
            if self.hazard_rows is not None:
                codes = self.hazard_rows[index][: len(ids) - 1]
                target[row, : len(codes)] += self.vocab_size * codes
        return meta, body, metric, target

    def epoch(self, seed: int, epoch: int) -> list[tuple[int, np.ndarray]]:
        """(bucket, example indices) of each full batch of one epoch, in training order."""
        rng = np.random.default_rng((seed, epoch))
        plan: list[tuple[int, np.ndarray]] = []
        for bucket, indices in enumerate(self.buckets):
            size = self.batch_sizes[bucket]
            order = rng.permutation(np.asarray(indices, dtype=np.int64))
            plan.extend(
                (bucket, order[i : i + size]) for i in range(0, len(order) - size + 1, size)
            )
        return [plan[i] for i in rng.permutation(len(plan))]

    def training_stream(self, seed: int, skip: int = 0) -> Iterator[Batch]:
        """Endless shuffled batches (epoch after epoch), the first ``skip`` left out."""
        epoch = 0
        while True:
            plan = self.epoch(seed, epoch)
            if skip >= len(plan):
                skip -= len(plan)
            else:
                for bucket, indices in plan[skip:]:
                    yield self._make(indices, bucket, len(indices))
                skip = 0
            epoch += 1

    def fixed_batches(self) -> list[Batch]:
        """Every example once, in order; a bucket's last batch is padded with empty rows so
        it keeps the bucket's shape (empty rows have no targets)."""
        batches = []
        for bucket, indices in enumerate(self.buckets):
            size = self.batch_sizes[bucket]
            for start in range(0, len(indices), size):
                batches.append(self._make(indices[start : start + size], bucket, size))
        return batches


def ending_weights(
    metric: np.ndarray, target: np.ndarray, eos_id: int, weight: float, bars: int = 1
) -> np.ndarray:
    """float32 [rows, width]: each target's loss weight in a batch: ``weight`` for the tokens
    written once a tune has at most ``bars`` bars left (its last bars, closing bar line and
    end token), 1 for the others, 0 for padding. A row cut before its end token, or whose
    text the tracker cannot read to the end, weighs 1 throughout.

    The bars come from the ``bar`` feature (1 + bars completed before each target), so the
    rows need not carry their length (``to_go``) for this."""
    real = target != 0
    weights = real.astype(np.float32)
    if weight == 1.0:
        return weights
    done = metric[..., 2].astype(np.int64) - 1  # bars completed; -1 unknown
    for row in range(target.shape[0]):
        n = int(real[row].sum())
        if n == 0 or target[row, n - 1] != eos_id or done[row, n - 1] < 0:
            continue
        total = int(done[row, n - 1])  # the end token is read after the whole body
        if total >= MAX_BARS:
            continue  # capped: the count is not the tune's
        ending = (done[row, :n] >= total - bars) & (done[row, :n] >= 0)
        weights[row, :n][ending] = weight
    return weights


def has_wrong_bars(record: Any) -> bool:
    """Whether the notation core finds a bar of the wrong length in a record's body (pickups
    and short section-final bars are fine)."""
    from composeium_desktop.core.abcnotation import TRAIN_UNIT, bar_errors

    try:
        return bool(bar_errors(record.body, record.meter, TRAIN_UNIT))
    except ValueError:
        return True


def ends_off_tonic(record: Any) -> bool:
    """Whether a record's body (normalised: tonic C) ends on a note other than the tonic of
    its mode, or on no note."""
    from composeium_desktop.core.abcnotation import key_name
    from composeium_desktop.core.evaluation.figures import ends_on_tonic

    try:
        return not ends_on_tonic(record.body, key_name("C", record.mode))
    except ValueError:
        return True


def split_records(records: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """(train, validation) records; a corpus without validation tunes lends 5% of its train."""
    train = [r for r in records if r.split == "train"]
    val = [r for r in records if r.split == "validation"]
    if not val and len(train) > 1:
        cut = max(1, len(train) // 20)
        val, train = train[-cut:], train[:-cut]
    if not train:
        raise ValueError("the corpus has no training tunes")
    return train, val


# Tokenizers.


def prepare_tokenizers(
    out_dir: Path, train_records: Sequence[Any], vocab_size: int, seed: int, default_corpus: bool
) -> tuple[Any, Any, Path]:
    """The out dir's tokenizer; else the shipped one (default corpus, same vocabulary size);
    else one trained on the training split."""
    import shutil

    from composeium_desktop.core.model.storage import TOKENIZER_DIR
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab, train_tokenizers
    from composeium_desktop.paths import model_dir

    folder = Path(out_dir) / TOKENIZER_DIR
    if not (folder / "body.model").is_file():
        shipped = model_dir() / TOKENIZER_DIR
        if (
            default_corpus
            and (shipped / "body.model").is_file()
            and ABCTokenizer.load(shipped).vocab_size == vocab_size
        ):
            shutil.copytree(shipped, folder, dirs_exist_ok=True)
        else:
            train_tokenizers(train_records, folder, vocab_size=vocab_size, seed=seed)
    return ABCTokenizer.load(folder), MetadataVocab.load(folder), folder


# Model and strategy.


def copy_matching_weights(source: Any, target: Any) -> tuple[int, list[str]]:
    """Assign each of target's weights the source weight at the same path (the model's own
    name left out) and shape; returns (weights copied, paths of those left as initialised).

    Metric tables are multiplied by source scale / target scale, so a model whose feature
    embeddings are scaled computes what the unscaled source did."""

    def key(variable: Any) -> str:
        return variable.path.split("/", 1)[-1]

    def metric_scale(model: Any) -> float:
        layer = getattr(model, "metric_embedding", None)
        return 1.0 if layer is None else layer.scale

    ratio = metric_scale(source) / metric_scale(target)
    found = {key(v): v for v in source.weights}
    copied, fresh = 0, []
    for variable in target.weights:
        other = found.get(key(variable))
        if other is not None and tuple(other.shape) == tuple(variable.shape):
            rescale = ratio != 1.0 and key(variable).startswith("metric_embedding/")
            variable.assign(other * ratio if rescale else other)
            copied += 1
        else:
            fresh.append(key(variable))
    return copied, fresh


def make_strategy(name: str) -> Any:
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r} (default, mirrored, multiworker)")


def is_chief(strategy: Any) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and int(resolver.task_id or 0) == 0
    )


def compile_model(
    model: Any,
    options: TrainOptions,
    optimizer: Any = None,
    hazards: Sequence[Sequence[int]] = (),
) -> None:
    """Compiles ``model`` for training; ``hazards`` are the rows of ``HazardTable`` when
    ``options.syntax_penalty`` is on."""
    import keras

    from composeium_desktop.core.model.objectives import MaskedCrossEntropy, TokenCount, WarmupDecay

    if optimizer is None:
        schedule = WarmupDecay(options.lr, options.warmup, options.steps, options.schedule)
        optimizer = keras.optimizers.AdamW(
            learning_rate=schedule,
            weight_decay=options.weight_decay,
            beta_2=0.98,
            global_clipnorm=1.0,
        )
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "norm"])
    model.compile(
        optimizer=optimizer,
        loss=MaskedCrossEntropy(
            options.label_smoothing,
            hazard_weight=options.syntax_penalty,
            hazards=hazards,
            vocab_size=model.config.vocab_size if options.syntax_penalty else 0,
        ),
        metrics=[TokenCount()],
        jit_compile=options.jit_compile,
    )


def nll_function(model: Any, jit_compile: bool = True) -> Callable[[Batch], tuple[float, int]]:
    """(sum of -ln p over non-pad targets, number of such targets) of a batch; compiled once
    per batch shape."""
    import tensorflow as tf
    from keras import ops

    tf.get_logger().setLevel("ERROR")  # one trace per batch shape is expected

    @tf.function(jit_compile=jit_compile)
    def nll(meta: Any, body: Any, metric: Any, target: Any) -> tuple[Any, Any]:
        logits = model({"meta": meta, "body": body, "metric": metric}, training=False)
        log_probs = ops.log_softmax(logits, axis=-1)
        picked = ops.squeeze(ops.take_along_axis(log_probs, target[..., None], axis=-1), -1)
        mask = ops.cast(ops.not_equal(target, 0), "float32")
        return -ops.sum(picked * mask), ops.sum(mask)

    def run(batch: Batch) -> tuple[float, int]:
        total, count = nll(*batch)
        return float(total), int(count)

    return run


def mean_nll(batches: Sequence[Batch], nll: Callable[[Batch], tuple[float, int]]) -> float:
    total, count = 0.0, 0
    for batch in batches:
        t, c = nll(batch)
        total, count = total + t, count + c
    return total / max(count, 1)


# Files.


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
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


# The run.


def _resume_state(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / CHECKPOINT_DIR / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _merge_resumed(options: TrainOptions, saved: dict[str, Any]) -> TrainOptions:
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


def _save_checkpoint(model: Any, folder: Path, state: dict[str, Any]) -> None:
    """Weights and optimizer state (Keras saves both for a compiled model) + state.json."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_weights(folder / "checkpoint.tmp.weights.h5")
    (folder / "checkpoint.tmp.weights.h5").replace(folder / "checkpoint.weights.h5")
    _write_json(folder / "state.json", state)


def _load_checkpoint(model: Any, folder: Path) -> None:
    model.optimizer.build(model.trainable_variables)
    model.load_weights(folder / "checkpoint.weights.h5")


def _dataset(
    stream: Callable[[], Iterator[Batch]],
    meta_len: int,
    weigh: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> Any:
    """(inputs, targets) batches, or (inputs, targets, weights) with ``weigh(metric, target)``
    giving each target's loss weight."""
    import tensorflow as tf

    def pairs() -> Iterator[Any]:
        for meta, body, metric, target in stream():
            inputs = {"meta": meta, "body": body, "metric": metric}
            if weigh is None:
                yield inputs, target
            else:
                yield inputs, target, weigh(metric, target)

    spec: tuple[Any, ...] = (
        {
            "meta": tf.TensorSpec((None, meta_len), tf.int32),
            "body": tf.TensorSpec((None, None), tf.int32),
            "metric": tf.TensorSpec((None, None, len(FEATURE_SIZES)), tf.int32),
        },
        tf.TensorSpec((None, None), tf.int32),
    )
    if weigh is not None:
        spec = (*spec, tf.TensorSpec((None, None), tf.float32))
    dataset = tf.data.Dataset.from_generator(pairs, output_signature=spec)
    data_options = tf.data.Options()
    data_options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(data_options).prefetch(4)


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

    from composeium_desktop.core.model.callbacks import ProgressLogger, TrainingSupervisor
    from composeium_desktop.core.model.storage import build_model, save_model

    def say(message: str) -> None:
        if log is not None:
            log(message)
        elif not options.quiet:
            print(message, file=stream, flush=True)

    tf.get_logger().setLevel("ERROR")  # one trace per length bucket is expected, not a warning
    started = time.monotonic()
    out_dir = Path(options.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved_state = _resume_state(out_dir) if options.resume else None
    if options.resume and saved_state is None:
        say(f"no checkpoint in {out_dir / CHECKPOINT_DIR}; starting a new run")
    if saved_state is not None:
        options = _merge_resumed(options, saved_state["options"])
    deadline = started + options.max_minutes * 60 if options.max_minutes else None

    keras.utils.set_random_seed(options.seed)
    if records is None:
        from composeium_desktop.core.corpus import load_corpus

        records = load_corpus(options.corpus, include_music21=options.include_music21)
    train_records, val_records = split_records(records)
    lengths = lengths_of_records(train_records)
    if options.drop_wrong_bars:
        kept = [r for r in train_records if not has_wrong_bars(r)]
        say(f"left out {len(train_records) - len(kept)} training tunes with wrong-length bars")
        train_records = kept
    if options.tonic_endings_only:
        kept = [r for r in train_records if not ends_off_tonic(r)]
        say(f"left out {len(train_records) - len(kept)} training tunes not ending on the tonic")
        train_records = kept
    default_corpus = options.include_music21 and not options.corpus
    init_model = None
    if options.init_from is not None and saved_state is None:
        import shutil

        from composeium_desktop.core.model.storage import TOKENIZER_DIR, load_model

        init_model = load_model(Path(options.init_from))
        sizes = replace(
            init_model.config,
            metric_features=options.model.metric_features,
            length_feature=options.model.length_feature,
            metric_scaled=options.model.metric_scaled,
            dropout=options.model.dropout,
        )
        options = replace(options, model=sizes)
        if not (out_dir / TOKENIZER_DIR).is_dir():
            shutil.copytree(Path(options.init_from) / TOKENIZER_DIR, out_dir / TOKENIZER_DIR)
    tokenizer, meta_vocab, _ = prepare_tokenizers(
        out_dir, train_records, options.model.vocab_size, options.seed, default_corpus
    )
    # The lengths a request without one is drawn from (all training tunes, wrong bars or not).
    lengths.save(out_dir / LENGTHS_FILE)
    train_examples = [
        encode_record(r, tokenizer, meta_vocab, options.model.max_body_len) for r in train_records
    ]
    val_examples = [
        encode_record(r, tokenizer, meta_vocab, options.model.max_body_len) for r in val_records
    ]
    # Titles longer than 99.5% of the corpus's are cut rather than padding every batch.
    meta_lengths = [len(m) for m, _, _ in train_examples + val_examples]
    meta_len = min(meta_vocab.max_len, int(math.ceil(np.quantile(meta_lengths, 0.995) / 8) * 8))
    boundaries = bucket_boundaries(
        [len(b) - 1 for _, b, _ in train_examples + val_examples], options.buckets
    )
    budget = options.batch_size * REFERENCE_LENGTH
    hazards: list[tuple[int, ...]] = []
    hazard_rows = None
    if options.syntax_penalty:
        from composeium_desktop.core.features.syntax_hazards import HazardTable

        table = HazardTable(tokenizer.pieces)
        hazard_rows = [
            table.codes(body[1:-1], end=True)
            if body[-1] == tokenizer.eos_id
            else table.codes(body[1:], end=False)
            for _, body, _ in train_examples
        ]
        hazards = table.rows
        marked = sum(int((codes != 0).sum()) for codes in hazard_rows)
        say(
            f"syntax hazards: {len(table.rows) - 1} sets of forbidden pieces over "
            f"{marked:,} positions (penalty weight {options.syntax_penalty:g})"
        )
    train_data = BucketedBatches(
        train_examples,
        boundaries,
        budget,
        meta_len,
        hazard_rows=hazard_rows,
        vocab_size=tokenizer.vocab_size,
    )
    val_data = BucketedBatches(val_examples, boundaries, budget, meta_len)
    val_batches = val_data.fixed_batches()
    say(
        f"{len(train_examples)} training tunes ({sum(len(b) - 1 for _, b, _ in train_examples):,} "
        f"tokens), {len(val_examples)} validation tunes; buckets {boundaries} x batch "
        f"{train_data.batch_sizes}; {train_data.steps_per_epoch()} steps per epoch"
    )

    config = replace(
        options.model,
        vocab_size=tokenizer.vocab_size,
        meta_vocab_size=meta_vocab.vocab_size,
        max_meta_len=meta_vocab.max_len,
    )
    strategy = make_strategy(options.strategy)
    chief = is_chief(strategy)
    with strategy.scope():
        model = build_model(config)
        compile_model(model, options, hazards=hazards)
        if saved_state is not None:
            _load_checkpoint(model, out_dir / CHECKPOINT_DIR)
        elif init_model is not None:
            copied, fresh = copy_matching_weights(init_model, model)
            say(
                f"initialised {copied} weights from {options.init_from}; new: "
                + (", ".join(fresh) or "none")
            )
    step0 = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    history: list[dict[str, float]] = list(saved_state["history"]) if saved_state else []
    previous_wall = float(saved_state["wall_s"]) if saved_state else 0.0
    best = float(saved_state["best_val_loss"]) if saved_state else float("inf")
    bad = int(saved_state["bad_validations"]) if saved_state else 0
    say(
        f"model: {model.count_params():,} parameters, {config}; strategy {options.strategy} "
        f"({strategy.num_replicas_in_sync} replica(s)); "
        + (f"resuming at step {step0}" if step0 else "new run")
    )
    nll = nll_function(model, options.jit_compile)
    info = {
        "train_tunes": len(train_examples),
        "validation_tunes": len(val_examples),
        "train_tokens": sum(len(b) - 1 for _, b, _ in train_examples),
        "buckets": boundaries,
        "batch_sizes": train_data.batch_sizes,
        "steps_per_epoch": train_data.steps_per_epoch(),
        "parameters": int(model.count_params()),
    }

    def on_validation(step: int, train_loss: float, val_loss: float, improved: bool) -> None:
        now = time.monotonic()
        history.append(
            {
                "step": step,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
                "wall_s": previous_wall + now - started,
            }
        )
        if not chief:
            return
        if improved:
            save_model(model, out_dir)
        state = {
            "options": options.to_json(),
            "config": config.to_dict(),
            "data": info,
            "history": history,
            "best_val_loss": supervisor.best_val_loss,
            "bad_validations": supervisor.bad_validations,
            "wall_s": previous_wall + now - started,
        }
        _save_checkpoint(model, out_dir / CHECKPOINT_DIR, state)
        _write_json(out_dir / HISTORY_FILE, {**state, "stopped": None})
        save_plot(history, out_dir / PLOT_FILE)

    supervisor = TrainingSupervisor(
        validate=lambda: mean_nll(val_batches, nll),
        on_validation=on_validation,
        total_steps=options.steps,
        until=options.until,
        patience=options.patience,
        best_val_loss=best,
        bad_validations=bad,
        deadline=deadline,
        log=say,
    )
    callbacks: list[Any] = [supervisor]
    if not options.quiet:
        callbacks.insert(0, ProgressLogger(options.steps, deadline, stream))
    epochs = int(math.ceil(options.steps / options.val_every))
    initial_epoch = step0 // options.val_every
    stop_at = min(options.steps, options.until or options.steps)
    stopped = "until" if stop_at < options.steps else "steps"  # if already there
    if step0 < stop_at and initial_epoch < epochs:
        weigh = None
        if options.ending_weight != 1.0:
            weigh = lambda metric, target: ending_weights(  # noqa: E731
                metric, target, tokenizer.eos_id, options.ending_weight, options.ending_bars
            )
        dataset = _dataset(
            lambda: train_data.training_stream(options.seed, skip=step0), meta_len, weigh
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
        stopped = supervisor.stopped
    wall = previous_wall + time.monotonic() - started
    if chief and history:
        state = json.loads((out_dir / HISTORY_FILE).read_text(encoding="utf-8"))
        _write_json(out_dir / HISTORY_FILE, {**state, "stopped": stopped, "wall_s": wall})
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
