"""make_tiny_model_dir writes a folder that loads like the shipped model/ folder."""

from __future__ import annotations

import numpy as np

from composeium_desktop.core.model import CONFIG_FILE, MODEL_FILE, TransformerConfig, load_model
from composeium_desktop.core.model.testing import make_tiny_model_dir, tiny_records
from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab


def test_tiny_model_dir_loads_like_the_shipped_folder(tmp_path) -> None:
    folder = make_tiny_model_dir(tmp_path / "tiny")
    assert (folder / MODEL_FILE).is_file()
    assert (folder / CONFIG_FILE).is_file()
    body = ABCTokenizer.load(folder)
    meta = MetadataVocab.load(folder)
    model = load_model(folder)
    config = TransformerConfig.load(folder / CONFIG_FILE)
    assert model.config == config
    assert config.vocab_size == body.vocab_size
    assert config.meta_vocab_size == meta.vocab_size
    record = tiny_records()[0]
    ids = body.encode(record.body)
    assert body.decode(ids) == record.body
    meta_ids = meta.encode(record.title, record.tonic, record.mode, record.meter, record.genre)
    logits = model({"meta": np.array([meta_ids]), "body": np.array([[body.bos_id, *ids[:5]]])})
    assert np.asarray(logits).shape == (1, 6, body.vocab_size)


def test_tiny_model_dirs_with_the_same_seed_are_identical(tmp_path) -> None:
    a = load_model(make_tiny_model_dir(tmp_path / "a", seed=1))
    b = load_model(make_tiny_model_dir(tmp_path / "b", seed=1))
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
