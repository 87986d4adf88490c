"""The package type-checks and lints clean: mypy with pyproject.toml's configuration (untyped
definitions refused in core/), ruff's lint rules and its formatting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def _run(args: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_mypy_passes_on_the_package() -> None:
    # The default cache (.mypy_cache in the repository, ignored by git) makes a repeat run take
    # about a second; a cold run takes about a minute.
    result = _run(["mypy", "--config-file", str(CONFIG)], ROOT, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def test_mypy_refuses_an_untyped_definition_in_core(tmp_path: Path) -> None:
    core = tmp_path / "composeium_desktop" / "core"
    core.mkdir(parents=True)
    (core.parent / "__init__.py").write_text("", encoding="utf-8")
    (core / "__init__.py").write_text("", encoding="utf-8")
    (core / "probe.py").write_text("def untyped(x):\n    return x\n", encoding="utf-8")
    cache = str(tmp_path / ".mypy_cache")
    result = _run(
        ["mypy", "--config-file", str(CONFIG), "--cache-dir", cache, "composeium_desktop"],
        tmp_path,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "core/probe.py:1: error: Function is missing a type annotation" in result.stdout


def test_ruff_lint_and_format_are_clean() -> None:
    targets = ["composeium_desktop", "tests"]
    lint = _run(["ruff", "check", *targets], ROOT, timeout=300)
    assert lint.returncode == 0, lint.stdout[-8000:] + lint.stderr[-2000:]
    formatting = _run(["ruff", "format", "--check", *targets], ROOT, timeout=300)
    assert formatting.returncode == 0, formatting.stdout[-8000:] + formatting.stderr[-2000:]
