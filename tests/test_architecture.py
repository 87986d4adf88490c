"""The dependency direction of HOUSE_STYLE: core never imports Qt, and the heavy libraries load
lazily so `composeium --help` and the window come up before TensorFlow."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap

import composeium_desktop.core

_BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, sys

    class _Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6"):
                raise ImportError(f"{name} is blocked: core must not import Qt")
            return None

    sys.meta_path.insert(0, _Blocker())
    """
)


def _core_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(
            composeium_desktop.core.__path__, prefix="composeium_desktop.core."
        )
    )


def test_core_imports_without_qt() -> None:
    modules = _core_modules()
    assert "composeium_desktop.core.abcnotation" in modules
    code = (
        _BLOCK_QT
        + "\nimport importlib\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_cli_and_gui_modules_do_not_import_heavy_libraries() -> None:
    code = textwrap.dedent(
        """
        import sys
        import composeium_desktop.cli as cli
        cli.build_parser()
        import composeium_desktop.gui.app
        heavy = [m for m in ("tensorflow", "keras", "verovio", "music21") if m in sys.modules]
        print(",".join(heavy))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"


def test_the_entry_point_gives_numpy_one_blas_thread() -> None:
    """OpenBLAS threads spin while they wait: on two cores, with the window's thread busy, the
    encoder's small products took 24 ms instead of 0.14 ms. The commands and the app run with
    one BLAS thread unless the user chose otherwise."""
    code = textwrap.dedent(
        """
        import os
        os.environ.pop("OPENBLAS_NUM_THREADS", None)
        import composeium_desktop.cli
        print(os.environ["OPENBLAS_NUM_THREADS"])
        os.environ["OPENBLAS_NUM_THREADS"] = "3"
        import importlib
        importlib.reload(composeium_desktop.cli)
        print(os.environ["OPENBLAS_NUM_THREADS"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["1", "3"]
