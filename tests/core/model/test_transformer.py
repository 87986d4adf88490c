"""The Transformer on a tiny random model: shapes, cached step == full forward, .keras round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop.core.features.metric import FEATURE_SIZES
from composeium_desktop.core.model import (
    TransformerConfig,
    build_model,
    greedy_cached,
    greedy_naive,
    load_model,
    save_model,
)

TINY = TransformerConfig(
    vocab_size=40,
    meta_vocab_size=30,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    num_heads=4,
    d_ff=64,
    dropout=0.1,
    max_body_len=64,
    max_meta_len=12,
)


@pytest.fixture(scope="module")
def model():
    import keras

    keras.utils.set_random_seed(3)
    from composeium_desktop.core.model.testing import randomize_metric_tables

    model = build_model(TINY)
    randomize_metric_tables(model, 3)
    return model


def _batch(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    meta = rng.integers(1, TINY.meta_vocab_size, size=(3, 7)).astype("int32")
    meta[0, 4:] = 0  # padded metadata must not matter
    meta[1, 2:] = 0
    body = rng.integers(1, TINY.vocab_size, size=(3, 15)).astype("int32")
    metric = np.stack(
        [rng.integers(0, size, size=(3, 15)) for size in FEATURE_SIZES], axis=-1
    ).astype("int32")
    return {"meta": meta, "body": body, "metric": metric}


def test_forward_shapes_and_padding_invariance(model) -> None:
    batch = _batch()
    logits = np.asarray(model(batch))
    assert logits.shape == (3, 15, TINY.vocab_size)
    assert logits.dtype == np.float32
    wider = {**batch, "meta": np.pad(batch["meta"], [[0, 0], [0, 5]])}
    np.testing.assert_allclose(np.asarray(model(wider)), logits, atol=1e-5)


def test_forward_is_causal(model) -> None:
    batch = _batch(1)
    logits = np.asarray(model(batch))
    changed = batch["body"].copy()
    changed[:, 9:] = (changed[:, 9:] + 1) % TINY.vocab_size
    other = np.asarray(model({**batch, "body": changed}))
    np.testing.assert_allclose(other[:, :9], logits[:, :9], atol=1e-5)
    assert np.abs(other[:, 9:] - logits[:, 9:]).max() > 1e-3
    moved = batch["metric"].copy()
    moved[:, 9:, 0] = (moved[:, 9:, 0] + 5) % FEATURE_SIZES[0]
    other = np.asarray(model({**batch, "metric": moved}))
    np.testing.assert_allclose(other[:, :9], logits[:, :9], atol=1e-5)
    assert np.abs(other[:, 9:] - logits[:, 9:]).max() > 1e-3


def test_metric_features_change_the_output_and_default_to_unknown(model) -> None:
    batch = _batch(9)
    logits = np.asarray(model(batch))
    for feature in range(len(FEATURE_SIZES)):
        moved = batch["metric"].copy()
        moved[..., feature] = (moved[..., feature] + 1) % FEATURE_SIZES[feature]
        assert np.abs(np.asarray(model({**batch, "metric": moved})) - logits).max() > 1e-3
    unknown = {**batch, "metric": np.zeros_like(batch["metric"])}
    without = {k: v for k, v in batch.items() if k != "metric"}
    np.testing.assert_allclose(np.asarray(model(without)), np.asarray(model(unknown)), atol=1e-6)


def test_config_without_metric_field_is_a_model_without_features() -> None:
    legacy = {k: v for k, v in TINY.to_dict().items() if k != "metric_features"}
    config = TransformerConfig.from_dict(legacy)
    assert config.metric_features is False
    assert build_model(config).metric_embedding is None
    assert TransformerConfig().metric_features is True


def test_metadata_changes_the_output(model) -> None:
    batch = _batch(2)
    other = {**batch, "meta": np.where(batch["meta"] > 0, batch["meta"] % 5 + 1, 0)}
    assert np.abs(np.asarray(model(batch)) - np.asarray(model(other))).max() > 1e-3


@pytest.mark.parametrize("max_len", [15, 40])
def test_cached_step_equals_full_forward_at_every_position(model, max_len: int) -> None:
    batch = _batch(4)
    full = np.asarray(model(batch))
    cache = model.start_decoding(batch["meta"], max_len)
    for position in range(batch["body"].shape[1]):
        logits, cache = model.decode_step(
            batch["body"][:, position], position, cache, batch["metric"][:, position]
        )
        np.testing.assert_allclose(np.asarray(logits), full[:, position], atol=1e-4)


def test_eager_cache_api_matches_compiled(model) -> None:
    batch = _batch(5)
    memory, mask = model.encode(batch["meta"])
    cache = model.init_cache(memory, mask, 20)
    assert tuple(cache["self_kv"].shape) == (2, 2, 3, 4, 20, 8)
    assert tuple(cache["cross_kv"].shape) == (2, 2, 3, 4, 7, 8)
    compiled = model.start_decoding(batch["meta"], 20)
    for position in range(5):
        token = batch["body"][:, position]
        metric = batch["metric"][:, position]
        eager, cache = model.decode_step_eager(token, position, cache, metric)
        fast, compiled = model.decode_step(token, position, compiled, metric)
        np.testing.assert_allclose(np.asarray(eager), np.asarray(fast), atol=1e-4)


def test_step_compiles_once_for_all_positions(model) -> None:
    batch = _batch(6)
    cache = model.start_decoding(batch["meta"], 33)
    before = len(model._compiled)
    for position in range(6):
        _, cache = model.decode_step(batch["body"][:, position], position, cache)
    assert len(model._compiled) - before <= 1
    step = next(fn for key, fn in model._compiled.items() if key[0] == "step")
    assert step is not None


def test_greedy_cached_equals_greedy_naive(model) -> None:
    meta = [3, 4, 5, 6]
    naive = greedy_naive(model, meta, bos_id=2, eos_id=3, max_tokens=20)
    cached = greedy_cached(model, meta, bos_id=2, eos_id=3, max_tokens=20)
    assert cached == naive
    assert len(cached) > 0


def test_greedy_with_metric_features_cached_equals_naive(model) -> None:
    # Pieces of ABC text, so the features follow the notes and bar lines written.
    cycle = ["A", "B2", "c", "|", "d/", "e/", "f3", "[", "CE", "]", "z", "G3", "^f"]
    pieces = [cycle[i % len(cycle)] for i in range(TINY.vocab_size)]
    meta = [3, 4, 5, 6]
    naive = greedy_naive(model, meta, 2, 3, 20, pieces=pieces, meter="6/8")
    cached = greedy_cached(model, meta, 2, 3, 20, pieces=pieces, meter="6/8")
    assert cached == naive
    assert len(cached) == 20


def test_keras_round_trip_gives_identical_outputs(model, tmp_path) -> None:
    batch = _batch(7)
    save_model(model, tmp_path)
    assert (tmp_path / "composeium.keras").is_file()
    assert (tmp_path / "config.json").is_file()
    loaded = load_model(tmp_path)
    assert loaded.config == model.config
    np.testing.assert_array_equal(np.asarray(loaded(batch)), np.asarray(model(batch)))
    cache = loaded.start_decoding(batch["meta"], 16)
    logits, _ = loaded.decode_step(batch["body"][:, 0], 0, cache, batch["metric"][:, 0])
    np.testing.assert_allclose(np.asarray(logits), np.asarray(model(batch))[:, 0], atol=1e-4)


def test_dropout_only_in_training(model) -> None:
    batch = _batch(8)
    a = np.asarray(model(batch, training=True))
    b = np.asarray(model(batch, training=True))
    assert np.abs(a - b).max() > 1e-4
    np.testing.assert_array_equal(np.asarray(model(batch)), np.asarray(model(batch)))


def test_config_rejects_heads_not_dividing_width() -> None:
    with pytest.raises(ValueError, match="multiple"):
        TransformerConfig(d_model=30, num_heads=4)
