"""The NumPy decoding step against the Keras model: logits equal the full forward pass at every
position (tiny model and seed-configuration dims, random weights), greedy numpy == XLA == naive,
and the Generator's backends."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.features.metric import FEATURE_SIZES, MetricTracker
from composeium_desktop.core.model import TransformerConfig, build_model, greedy_naive
from composeium_desktop.core.model.numpy_decoder import NumpyDecoder, gelu
from composeium_desktop.core.model.testing import randomize_metric_tables


def _meta(model, real: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    meta = np.zeros(int(model.config.max_meta_len), np.int32)
    meta[:real] = rng.integers(1, int(model.config.meta_vocab_size), real)
    return meta


def _check_every_position(model, decoder: NumpyDecoder, length: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    meta = _meta(model, 7, seed)
    body = rng.integers(1, int(model.config.vocab_size), (1, length)).astype(np.int32)
    metric = np.stack([rng.integers(0, n, (1, length)) for n in FEATURE_SIZES], -1)
    inputs = {"meta": meta[None], "body": body, "metric": metric.astype(np.int32)}
    full = np.asarray(model(inputs, training=False))[0]
    state = decoder.start(meta)
    for position in range(length):
        logits = decoder.step(state, int(body[0, position]), position, tuple(metric[0, position]))
        assert logits.dtype == np.float32 and logits.shape == (model.config.vocab_size,)
        np.testing.assert_allclose(logits, full[position], atol=1e-4)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-numpy"))


@pytest.fixture(scope="module")
def tiny_model(tiny_dir: Path):
    from composeium_desktop.core.model import load_model

    return load_model(tiny_dir)


def test_gelu_is_the_exact_erf_gelu() -> None:
    u = np.linspace(-12, 12, 4001).astype(np.float32)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in u.astype(float)])
    np.testing.assert_allclose(gelu(u), exact, atol=2e-6)
    import keras

    np.testing.assert_allclose(gelu(u), np.asarray(keras.activations.gelu(u)), atol=2e-6)


def test_tiny_model_logits_equal_full_forward(tiny_model) -> None:
    """Dropout is 0.1 in the tiny config: the step is the inference (dropout-off) model."""
    assert tiny_model.config.dropout > 0
    _check_every_position(tiny_model, NumpyDecoder.from_model(tiny_model), 40, seed=0)


def test_seed_configuration_logits_equal_full_forward() -> None:
    import keras

    keras.utils.set_random_seed(7)
    model = build_model(TransformerConfig(vocab_size=1000, meta_vocab_size=512))
    randomize_metric_tables(model, 7)
    _check_every_position(model, NumpyDecoder.from_model(model), 64, seed=1)


def test_padded_and_empty_metadata(tiny_model) -> None:
    """Trailing pad ids change nothing; metadata with no real token is the model's uniform
    cross-attention, as in the Keras model."""
    decoder = NumpyDecoder.from_model(tiny_model)
    meta = _meta(tiny_model, 5, 3)
    body = np.array([[1, 9, 12, 30]], np.int32)
    for ids in (meta[:5], meta, np.zeros(4, np.int32)):
        padded = np.zeros(int(tiny_model.config.max_meta_len), np.int32)
        padded[: len(ids)] = ids
        full = np.asarray(tiny_model({"meta": padded[None], "body": body}))[0]
        state = decoder.start(ids)
        for position, token in enumerate(body[0]):
            np.testing.assert_allclose(
                decoder.step(state, int(token), position), full[position], atol=1e-4
            )


def test_cache_is_overwritten_after_a_rollback(tiny_model) -> None:
    """Stepping again from an earlier position (the generator's rollback) gives the logits of
    the new prefix."""
    decoder = NumpyDecoder.from_model(tiny_model)
    meta = _meta(tiny_model, 6, 4)
    state = decoder.start(meta)
    for position, token in enumerate([1, 20, 21, 22, 23]):
        decoder.step(state, token, position)
    body = [1, 20, 40, 41]
    for position in (2, 3):
        logits = decoder.step(state, body[position], position)
    full = np.asarray(tiny_model({"meta": meta[None], "body": np.array([body], np.int32)}))[0]
    np.testing.assert_allclose(logits, full[3], atol=1e-4)


def test_grown_state_continues(tiny_model) -> None:
    decoder = NumpyDecoder.from_model(tiny_model)
    meta = _meta(tiny_model, 6, 5)
    body = np.random.default_rng(5).integers(1, 50, 12).astype(np.int32)
    state = decoder.start(meta, 6)
    out = []
    for position, token in enumerate(body):
        if position >= state.size:
            state = state.grown(20)
        out.append(decoder.step(state, int(token), position))
    full = np.asarray(tiny_model({"meta": meta[None], "body": body[None]}))[0]
    np.testing.assert_allclose(np.array(out), full, atol=1e-4)


def test_legacy_model_without_features_ignores_them() -> None:
    import keras

    keras.utils.set_random_seed(2)
    config = TransformerConfig(
        vocab_size=50, meta_vocab_size=20, d_model=32, encoder_layers=1, decoder_layers=1,
        num_heads=2, d_ff=64, metric_features=False,
    )  # fmt: skip
    model = build_model(config)
    decoder = NumpyDecoder.from_model(model)
    state = decoder.start([3, 4])
    a = decoder.step(state, 5, 0, (9, 9, 9, 9))
    state = decoder.start([3, 4])
    np.testing.assert_array_equal(a, decoder.step(state, 5, 0))


def _greedy_with(generator, meta_ids: list[int], steps: int, meter: str = "6/8") -> list[int]:
    handle = generator.start(meta_ids, steps + 1)
    token, out = generator.bos_id, []
    tracker = MetricTracker.start(meter)
    for position in range(steps):
        if position >= generator.cache_size(handle):
            handle = generator.grow(handle)
        logits, handle = generator.step(token, position, handle, tracker.features)
        token = int(np.argmax(np.where(generator._banned, -np.inf, logits)))
        tracker = tracker.feed(generator.pieces[token])
        out.append(token)
    return out


def test_greedy_numpy_equals_xla_equals_naive(tiny_dir: Path) -> None:
    from composeium_desktop.core.generation.decoder import Generator

    numpy_gen = Generator.load(tiny_dir)
    assert numpy_gen.backend == "numpy"
    xla_gen = numpy_gen.with_backend("xla")
    assert xla_gen.backend == "xla"
    meta_ids = list(_meta(numpy_gen.model, 6, 6)[:6])
    steps = 48
    by_numpy = _greedy_with(numpy_gen, meta_ids, steps)
    assert by_numpy == _greedy_with(xla_gen, meta_ids, steps)
    # Naive: the whole prefix and its features through the Keras model for every token.
    meta = np.zeros((1, numpy_gen.max_meta_len), np.int32)
    meta[0, : len(meta_ids)] = meta_ids
    tokens = [numpy_gen.bos_id]
    tracker = MetricTracker.start("6/8")
    rows = [tracker.features]
    for _ in range(steps):
        inputs = {"meta": meta, "body": np.array([tokens], np.int32), "metric": np.array([rows])}
        logits = np.asarray(numpy_gen.model(inputs))
        tokens.append(int(np.argmax(np.where(numpy_gen._banned, -np.inf, logits[0, -1]))))
        tracker = tracker.feed(numpy_gen.pieces[tokens[-1]])
        rows.append(tracker.features)
    assert by_numpy == tokens[1:]
    # The features matter: without them (all "unknown") the same tokens get other logits.
    with_features = numpy_gen.start(meta_ids, steps + 1)
    unknown = numpy_gen.start(meta_ids, steps + 1)
    for position, token in enumerate(tokens[:8]):
        a, with_features = numpy_gen.step(token, position, with_features, tuple(rows[position]))
        b, unknown = numpy_gen.step(token, position, unknown)
        assert np.abs(a - b).max() > 1e-3


def test_greedy_decoding_matches_reference_loop(tiny_model) -> None:
    """Unmasked greedy (as core.model.decoding) with the NumPy step == greedy_naive."""
    decoder = NumpyDecoder.from_model(tiny_model)
    meta_ids = list(_meta(tiny_model, 5, 8)[:5])
    state = decoder.start(meta_ids)
    token, out = 1, []
    for position in range(30):
        token = int(np.argmax(decoder.step(state, token, position)))
        if token == 2:
            break
        out.append(token)
    assert out == greedy_naive(tiny_model, meta_ids, 1, 2, 30)


def test_generator_backends_write_the_same_tune(tiny_dir: Path) -> None:
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.request import GenerationRequest

    numpy_gen = Generator.load(tiny_dir, backend="numpy")
    xla_gen = Generator.load(tiny_dir, backend="xla")
    request = GenerationRequest(key="Em", meter="6/8", temperature=0.0, max_tokens=40, seed=0)
    tunes = [list(g.generate(request))[-1].abc for g in (numpy_gen, xla_gen)]
    assert tunes[0] == tunes[1]
    with pytest.raises(ValueError, match="backend"):
        numpy_gen.with_backend("torch")
