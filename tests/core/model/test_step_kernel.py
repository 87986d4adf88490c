"""The C step (``_step_kernel``) against the NumPy step it replaces: the same logits (to 1e-5)
and the same caches over a tune's worth of steps with metric features, for the shipped model and
a tiny one; grown states, rollbacks, metadata of one position and of the full length, no metric
features, and the errors of bad input. The extension is built by ``pip install -e .``, so a
missing one fails here rather than skips."""

from __future__ import annotations

import numpy as np
import pytest

from composeium_desktop import paths
from composeium_desktop.core.model.config import MODEL_FILE
from composeium_desktop.core.model.numpy_decoder import KERNEL_ENV, NumpyDecoder
from composeium_desktop.core.model.weights import ModelWeights, read_weights

ATOL = 1e-5


@pytest.fixture(scope="module")
def shipped() -> ModelWeights:
    return read_weights(paths.model_dir() / MODEL_FILE)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> ModelWeights:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    folder = make_tiny_model_dir(tmp_path_factory.mktemp("tiny-kernel"), seed=4)
    return read_weights(folder / MODEL_FILE)


@pytest.fixture(scope="module")
def odd() -> ModelWeights:
    """Sizes off every unrolled path: head size 12, d_model 36, d_ff 44, no metric tables."""
    import keras

    from composeium_desktop.core.model import TransformerConfig, build_model
    from composeium_desktop.core.model.weights import weights_of

    keras.utils.set_random_seed(3)
    config = TransformerConfig(
        vocab_size=50, meta_vocab_size=20, d_model=36, encoder_layers=1, decoder_layers=2,
        num_heads=3, d_ff=44, metric_features=False,
    )  # fmt: skip
    return weights_of(build_model(config))


def _pair(weights: ModelWeights) -> tuple[NumpyDecoder, NumpyDecoder]:
    c, reference = NumpyDecoder(weights, kernel="c"), NumpyDecoder(weights, kernel="numpy")
    assert (c.kernel, reference.kernel) == ("c", "numpy")
    return c, reference


def _meta(decoder: NumpyDecoder, real: int, rng: np.random.Generator) -> np.ndarray:
    meta = np.zeros(decoder.max_meta_len, np.int32)
    meta[:real] = rng.integers(1, decoder.weights.config.meta_vocab_size, real)
    return meta


def _features(decoder: NumpyDecoder, rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(rng.integers(0, t.shape[0])) for t in decoder.metric_tables)


def _compare(
    weights: ModelWeights,
    steps: int,
    real: int,
    seed: int,
    with_metric: bool = True,
    first_size: int | None = None,
) -> None:
    """Both steps through the same tokens; the state grown (if `first_size`) when full."""
    c, reference = _pair(weights)
    rng = np.random.default_rng(seed)
    meta = _meta(c, real, rng)
    states = [c.start(meta, first_size), reference.start(meta, first_size)]
    assert states[0].meta_len == (real or c.max_meta_len)
    for position in range(steps):
        if position >= states[0].size:
            states = [s.grown(c.max_len) for s in states]
        token = int(rng.integers(1, c.vocab_size))
        metric = _features(c, rng) if with_metric else None
        logits = c.step(states[0], token, position, metric)
        expected = reference.step(states[1], token, position, metric)
        assert logits.dtype == np.float32 and logits.shape == (c.vocab_size,)
        np.testing.assert_allclose(logits, expected, rtol=0, atol=ATOL, err_msg=f"at {position}")
    np.testing.assert_allclose(states[0].keys, states[1].keys, rtol=0, atol=ATOL)
    np.testing.assert_allclose(states[0].values, states[1].values, rtol=0, atol=ATOL)
    # The cache beyond the last position is untouched.
    assert not states[0].keys[:, :, steps:].any() and not states[0].values[:, :, steps:].any()


def test_the_extension_is_built_and_used_by_default(
    shipped: ModelWeights, monkeypatch: pytest.MonkeyPatch
) -> None:
    from composeium_desktop.core.model import _step_kernel

    assert hasattr(_step_kernel, "Kernel")
    monkeypatch.delenv(KERNEL_ENV, raising=False)
    assert NumpyDecoder(shipped).kernel == "c"
    monkeypatch.setenv(KERNEL_ENV, "numpy")
    assert NumpyDecoder(shipped).kernel == "numpy"
    with pytest.raises(ValueError, match="step kernel"):
        NumpyDecoder(shipped, kernel="fortran")


def test_shipped_model_a_tune_of_steps(shipped: ModelWeights) -> None:
    _compare(shipped, 300, real=9, seed=0)


def test_shipped_model_grown_state(shipped: ModelWeights) -> None:
    _compare(shipped, 80, real=5, seed=1, first_size=32)


def test_shipped_model_meta_of_one_and_of_full_length(shipped: ModelWeights) -> None:
    _compare(shipped, 40, real=1, seed=2)
    _compare(shipped, 40, real=shipped.config.max_meta_len, seed=3)


def test_shipped_model_no_metadata_and_no_metric_features(shipped: ModelWeights) -> None:
    """All pad: the uniform cross-attention (every position kept, masked)."""
    _compare(shipped, 40, real=0, seed=4, with_metric=False)


def test_tiny_model(tiny: ModelWeights) -> None:
    assert tiny.config.d_model != 128 and tiny.metric_tables
    _compare(tiny, 120, real=6, seed=5)
    _compare(tiny, 60, real=1, seed=6, with_metric=False, first_size=7)
    _compare(tiny, 20, real=tiny.config.max_meta_len, seed=7)


def test_other_sizes_and_no_metric_tables(odd: ModelWeights) -> None:
    assert not odd.metric_tables
    _compare(odd, 50, real=3, seed=8)
    _compare(odd, 30, real=0, seed=9, first_size=5)


def test_rollback_overwrites_the_cache(shipped: ModelWeights) -> None:
    """Stepping again from an earlier position (the generator's rollback) equals a fresh run
    of the new prefix."""
    c, _ = _pair(shipped)
    meta = [5, 6, 7]
    state = c.start(meta, 16)
    for position, token in enumerate([1, 20, 21, 22, 23, 24]):
        c.step(state, token, position, None)
    body = [1, 20, 40, 41]
    for position in (2, 3):
        logits = c.step(state, body[position], position, None)
    fresh = c.start(meta, 16)
    for position, token in enumerate(body):
        expected = c.step(fresh, token, position, None)
    np.testing.assert_array_equal(logits, expected)


def test_bad_input_raises_as_numpy_does(shipped: ModelWeights) -> None:
    for decoder in _pair(shipped):
        state = decoder.start([5, 6], 4)
        with pytest.raises(IndexError):
            decoder.step(state, decoder.vocab_size, 0)
        with pytest.raises(IndexError):
            decoder.step(state, 1, 4)
        with pytest.raises(ValueError):
            decoder.step(state, 1, 0, (0,))
        with pytest.raises(IndexError):
            decoder.step(state, 1, 0, (10_000,) * len(decoder.metric_tables))
