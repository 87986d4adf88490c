"""The NumPy copy of a model's weights: the same arrays as the .keras file, used only while it
is still that file's, and never trusted over it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from composeium_desktop.core.model.weights import ModelFile, read_weights
from composeium_desktop.core.model.weights_cache import cache_path, cached_weights


def _leaves(value: object) -> list[np.ndarray]:
    import dataclasses

    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [leaf for f in dataclasses.fields(value) for leaf in _leaves(getattr(value, f.name))]
    return []


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-cache"))


def test_the_copy_holds_the_files_arrays_and_is_read_instead_of_it(tiny, tmp_path) -> None:
    keras_file = tiny / "composeium.keras"
    original = read_weights(keras_file)
    first = cached_weights(keras_file, tmp_path)  # reads the file, writes the copy
    copy = cache_path(keras_file, tmp_path)
    assert copy.is_file()
    second = cached_weights(keras_file, tmp_path)
    assert second.config == original.config
    leaves, again = _leaves(original), _leaves(second)
    assert len(leaves) == len(again) == len(_leaves(first)) > 20
    for a, b in zip(leaves, again, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    # Read from the copy, not the file: a copy whose arrays are changed is what comes back.
    with np.load(copy) as data:
        arrays = {name: data[name] for name in data.files}
    bias = next(name for name in arrays if name.endswith("output_bias"))
    arrays[bias] = arrays[bias] + 1.0
    np.savez(copy, **arrays)
    shifted = cached_weights(keras_file, tmp_path)
    np.testing.assert_array_equal(shifted.output_bias, original.output_bias + 1.0)


def test_a_changed_model_file_or_a_broken_copy_is_read_from_the_file(tiny, tmp_path) -> None:
    keras_file = tiny / "composeium.keras"
    original = read_weights(keras_file)
    cached_weights(keras_file, tmp_path)
    copy = cache_path(keras_file, tmp_path)
    with np.load(copy) as data:
        arrays = {name: data[name] for name in data.files}
    bias = next(name for name in arrays if name.endswith("output_bias"))
    arrays[bias] = arrays[bias] + 1.0
    np.savez(copy, **arrays)
    # The model file is written again (a new training run): its copy no longer counts.
    stat = keras_file.stat()
    os.utime(keras_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    fresh = cached_weights(keras_file, tmp_path)
    np.testing.assert_array_equal(fresh.output_bias, original.output_bias)
    # A copy cut short is no copy.
    copy.write_bytes(copy.read_bytes()[:100])
    np.testing.assert_array_equal(
        cached_weights(keras_file, tmp_path).output_bias, original.output_bias
    )


def test_composing_keeps_a_copy_and_never_imports_h5py_once_it_has_one(tiny, tmp_path) -> None:
    import subprocess

    code = (
        "import sys\n"
        "from composeium_desktop.core.generation.decoder import Generator\n"
        f"Generator.load({str(tiny)!r}, warm_up=False)\n"
        "print('h5py' in sys.modules)\n"
    )
    env = {**os.environ, "COMPOSEIUM_DATA_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-2000:]
    assert [run.stdout.split()[-1] for run in runs] == ["True", "False"]
    assert list((tmp_path / "weights").glob("weights-*.npz"))
    # Without a cache folder the file is read as before.
    assert ModelFile(tiny).weights.config == read_weights(tiny / "composeium.keras").config
