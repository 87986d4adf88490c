"""The built wheel carries resources/ and model/ so an installed app works outside the repo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_model_and_resources(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        p.relative_to(REPO / "model").as_posix()
        for p in (REPO / "model").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert "composeium.keras" in shipped
    for rel in shipped:
        assert f"composeium_desktop/_model/{rel}" in names
    for p in (REPO / "resources").rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts:
            rel = p.relative_to(REPO / "resources").as_posix()
            assert f"composeium_desktop/_resources/{rel}" in names
    assert "composeium_desktop/cli.py" in names
    recipes = REPO / "composeium_desktop" / "core" / "training" / "recipes"
    assert {"shipped.json", "tiny.json"} <= {p.name for p in recipes.glob("*.json")}
    for recipe in recipes.glob("*.json"):  # `composeium train --recipe NAME` needs them
        assert f"composeium_desktop/core/training/recipes/{recipe.name}" in names
