"""The training data: corpus records -> (metadata ids, BOS + body ids + EOS, metric features),
grouped into length buckets; a batch holds about ``batch_size * REFERENCE_LENGTH`` tokens, padded
only to its bucket's boundary, so XLA compiles one program per bucket. Epoch order is drawn from
``numpy.random.default_rng((seed, epoch))``: the same seed gives the same batches, and a resumed
run skips exactly the batches it has already trained on."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.features.metric import FEATURE_SIZES, MAX_BARS
from composeium_desktop.core.training.options import BUCKET_COUNT, Batch, Example

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
    counts down to the record's own length, and ``part_to_go`` to the end of each of its
    parts as its bar lines write them (``form_bars``), except for the tunes ``length_hidden``
    picks (``known_length`` None, as in training) or for every tune (False)."""
    from composeium_desktop.core.features.metric import body_form, sequence_features

    meta = meta_vocab.encode(record.title, record.tonic, record.mode, record.meter, record.genre)
    ids = tokenizer.encode(record.body)
    body = [tokenizer.bos_id, *ids, tokenizer.eos_id][: max_body_len + 1]
    known = not length_hidden(record.body) if known_length is None else known_length
    total, parts = body_form(record.body, record.meter) if known else (None, None)
    metric = sequence_features([tokenizer.pieces[i] for i in ids], record.meter, total, parts)
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

    def _make(self, indices: Sequence[int] | np.ndarray, bucket: int, rows: int) -> Batch:
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
    from composeium_desktop.core.abcnotation import ends_on_tonic, key_name

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


def make_dataset(
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
