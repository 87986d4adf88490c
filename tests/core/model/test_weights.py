"""The .keras file read without Keras: the same arrays Keras loads, NumPy logits equal to the
Keras forward pass to 1e-4 (shipped model and a tiny random one), parity.json written by
save_model, and `composeium generate` never importing TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from composeium_desktop import paths
from composeium_desktop.core.model.config import MODEL_FILE
from composeium_desktop.core.model.parity import PARITY_ATOL, PARITY_FILE, check_parity
from composeium_desktop.core.model.weights import read_weights, weights_of


def _leaves(obj: object) -> list[np.ndarray]:
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, tuple):
        return [a for item in obj for a in _leaves(item)]
    if hasattr(obj, "__dataclass_fields__"):
        return [a for name in obj.__dataclass_fields__ for a in _leaves(getattr(obj, name))]
    return []


def test_file_weights_equal_keras_weights_and_logits_match(tmp_path: Path) -> None:
    from composeium_desktop.core.model import load_model
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    folder = make_tiny_model_dir(tmp_path / "tiny", seed=3)
    keras_model = load_model(folder)
    from_file = read_weights(folder / MODEL_FILE)
    from_keras = weights_of(keras_model)
    assert from_file.config == from_keras.config
    a, b = _leaves(from_file), _leaves(from_keras)
    assert len(a) == len(b) == len(keras_model.weights)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    record = json.loads((folder / PARITY_FILE).read_text())
    assert record["passed"] and record["max_abs_diff"] <= PARITY_ATOL
    assert check_parity(folder, keras_model).max_abs_diff <= PARITY_ATOL


def test_shipped_model_numpy_logits_equal_keras() -> None:
    result = check_parity(paths.model_dir())
    assert result.max_abs_diff <= PARITY_ATOL, result


def test_generate_cli_never_imports_tensorflow() -> None:
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from composeium_desktop.cli import main\n"
        "rc = main(['generate', '--num', '1', '--seed', '5'])\n"
        "assert not [m for m in sys.modules if m.startswith(('tensorflow', 'keras'))]\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "X:1" in done.stdout and "K:" in done.stdout
