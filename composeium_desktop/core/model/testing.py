"""A tiny random model folder for tests: loads exactly like the shipped model/ folder.

``make_tiny_model_dir(path)`` writes composeium.keras + config.json + tokenizer/ (body and
metadata tokenizers trained on the first few dozen tunes of music21's O'Neill's 1850) +
lengths.json (those tunes' lengths, as training writes them), with a
Transformer of d_model 32, one encoder and one decoder layer and random weights. Building it
takes a second or two after TensorFlow is imported; the tunes and tokenizer are built once
per process.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from composeium_desktop.core.model.config import TransformerConfig

TINY_TUNES = 60
TINY_BODY_VOCAB = 160
TINY_TITLE_VOCAB = 120


@functools.lru_cache(maxsize=1)
def tiny_records() -> tuple:
    """The first TINY_TUNES usable tunes of oneills1850, as TuneRecords (split as in the corpus)."""
    from composeium_desktop.core.corpus import music21_corpus_dir, records_from_abc_text

    folder = music21_corpus_dir() / "oneills1850"
    records: list = []
    for path in sorted(folder.rglob("*.abc")):
        text = path.read_text(encoding="utf-8", errors="replace")
        records.extend(records_from_abc_text(text, "oneills1850"))
        if len(records) >= TINY_TUNES:
            break
    if not records:
        raise RuntimeError(f"no usable tunes under {folder}")
    return tuple(records[:TINY_TUNES])


@functools.lru_cache(maxsize=1)
def _tiny_tokenizer_dir() -> Path:
    from composeium_desktop.core.tokenizer import train_tokenizers

    folder = Path(tempfile.mkdtemp(prefix="composeium-tiny-tokenizer-"))
    # Every tiny tune is used, whatever its split, so the tiny vocabularies see all characters.
    records = [r for r in tiny_records()]
    train_tokenizers(
        records, folder, vocab_size=TINY_BODY_VOCAB, title_vocab_size=TINY_TITLE_VOCAB, seed=0
    )
    return folder


def tiny_config(body_vocab: int, meta_vocab: int) -> TransformerConfig:
    return TransformerConfig(
        vocab_size=body_vocab,
        meta_vocab_size=meta_vocab,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        num_heads=2,
        d_ff=64,
        dropout=0.1,
        max_body_len=512,
        max_meta_len=48,
    )


def randomize_metric_tables(model: object, seed: int = 0) -> None:
    """Random metric-feature embeddings (a new model's start at zero), so that tests see the
    features change the output the way a trained model's do."""
    import numpy as np

    layer = getattr(model, "metric_embedding", None)
    if layer is None:
        return
    rng = np.random.default_rng(seed)
    for table in layer.tables:  # the same embeddings, scaled or not
        values = rng.normal(0.0, 0.3, size=tuple(table.shape)) / layer.scale
        table.assign(values.astype("float32"))


def make_tiny_model_dir(path: Path, seed: int = 0) -> Path:
    """Writes a tiny random model + tokenizer into path (created if needed); returns path."""
    import keras

    from composeium_desktop.core.corpus.lengths import LENGTHS_FILE, lengths_of_records
    from composeium_desktop.core.model.storage import TOKENIZER_DIR, build_model, save_model
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer_dir = path / TOKENIZER_DIR
    shutil.copytree(_tiny_tokenizer_dir(), tokenizer_dir, dirs_exist_ok=True)
    body = ABCTokenizer.load(tokenizer_dir)
    meta = MetadataVocab.load(tokenizer_dir)
    keras.utils.set_random_seed(seed)
    model = build_model(tiny_config(body.vocab_size, meta.vocab_size))
    randomize_metric_tables(model, seed)
    save_model(model, path)
    lengths_of_records(tiny_records()).save(path / LENGTHS_FILE)
    return path
