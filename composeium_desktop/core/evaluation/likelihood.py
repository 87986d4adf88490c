"""The likelihood figures: the Transformer's -log2 likelihood of normalised bodies (every token
and the end token) and their character count, so bits per character compare across tokenizers;
the same text under the character 5-gram baseline; and records of the user's own ABC files."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

EVAL_BATCH_TOKENS = 8192
EVAL_BUCKETS = 4
UNLIMITED_LENGTH = 1 << 16


def model_bits(
    model: Any, tokenizer: Any, meta_vocab: Any, records: Sequence[Any], jit_compile: bool = False
) -> tuple[float, int]:
    """(sum of -log2 p over every body token and EOS, characters of the bodies)."""
    from composeium_desktop.core.training.data import (
        BucketedBatches,
        bucket_boundaries,
        encode_record,
    )
    from composeium_desktop.core.training.runtime import nll_function

    if not records:
        return 0.0, 0
    # Scored without the length (as the n-gram baseline is): bits of the text alone.
    examples = [
        encode_record(r, tokenizer, meta_vocab, UNLIMITED_LENGTH, known_length=False)
        for r in records
    ]
    meta_len = max(len(m) for m, _, _ in examples)
    bounds = bucket_boundaries([len(b) - 1 for _, b, _ in examples], EVAL_BUCKETS)
    batches = BucketedBatches(examples, bounds, EVAL_BATCH_TOKENS, meta_len).fixed_batches()
    nll = nll_function(model, jit_compile)
    nats = sum(nll(batch)[0] for batch in batches)
    return nats / math.log(2), sum(len(r.body) for r in records)


def ngram_bits(ngram: Any, bodies: Iterable[str]) -> tuple[float, int]:
    bits, chars = 0.0, 0
    for body in bodies:
        bits += ngram.bits(body)
        chars += len(body)
    return bits, chars


def abc_file_chord_symbols(paths: Sequence[Path]) -> int:
    """How many chord symbols these ABC files have: :func:`abc_file_records` sets them aside
    (the corpus has none, so the model has never seen one) before the model reads the tunes."""
    from composeium_desktop.core.harmony.text import set_aside_chords

    return sum(
        set_aside_chords(Path(p).read_text(encoding="utf-8", errors="replace"))[1].count
        for p in paths
    )


def abc_file_records(paths: Sequence[Path]) -> tuple[list[Any], int]:
    """Records of the tunes in these ABC files, chord symbols set aside, normalised like the
    corpus, and the number of tunes left out (lexer errors, no key, several voices ...)."""
    from composeium_desktop.core.corpus import records_and_skips
    from composeium_desktop.core.harmony.text import strip_chords

    records: list[Any] = []
    rejected = 0
    for path in paths:
        text = strip_chords(Path(path).read_text(encoding="utf-8", errors="replace"))
        found, skipped = records_and_skips(text, Path(path).stem)
        records.extend(found)
        rejected += sum(skipped.values())
    return records, rejected
