"""Composing in the app never needs TensorFlow: the window, the model, a generated tune and its
engraved score, with TensorFlow and Keras made impossible to import."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from composeium_desktop import paths

_APP_WITHOUT_TENSORFLOW = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras"):
                raise ImportError("blocked: " + name)
            return None

    sys.meta_path.insert(0, Block())
    from composeium_desktop.cli import main
    code = main(["gui", "--generate", "--timing", "--model", sys.argv[1], "--screenshot", sys.argv[2]])
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
    print("heavy:", heavy)
    sys.exit(code)
    """
)


@pytest.mark.slow
def test_the_app_composes_and_engraves_with_tensorflow_blocked(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMPOSEIUM_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _APP_WITHOUT_TENSORFLOW, str(paths.model_dir()), str(shot)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "score on screen" in done.stdout
    assert "heavy: []" in done.stdout
    assert shot.stat().st_size > 10_000
