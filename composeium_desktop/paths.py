"""Where resources/, model/ and user data live.

Environment overrides come first (COMPOSEIUM_MODEL_DIR, COMPOSEIUM_RESOURCES_DIR,
COMPOSEIUM_DATA_DIR); otherwise the repository checkout's top-level folders are used when
running from source, and the copies installed inside the wheel otherwise. The per-user data
folder is the platform's own (platformdirs). Settings are kept by QSettings in the platform's
settings location (gui/settings.py).
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import platformdirs

APP_NAME = "composeium-desktop"

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _packaged(name: str, repo_folder: str) -> Path:
    in_repo = _REPO_ROOT / repo_folder
    if in_repo.is_dir() and (_REPO_ROOT / "pyproject.toml").is_file():
        return in_repo
    return Path(str(importlib.resources.files(f"composeium_desktop.{name}")))


def model_dir() -> Path:
    """The folder holding the shipped model and tokenizer."""
    env = os.environ.get("COMPOSEIUM_MODEL_DIR")
    return Path(env) if env else _packaged("_model", "model")


def resources_dir() -> Path:
    """The folder holding packaged resources."""
    env = os.environ.get("COMPOSEIUM_RESOURCES_DIR")
    return Path(env) if env else _packaged("_resources", "resources")


def user_data_dir() -> Path:
    """Per-user writable folder (autosave, caches); created on demand."""
    env = os.environ.get("COMPOSEIUM_DATA_DIR")
    # ~/.local/share/composeium-desktop (or $XDG_DATA_HOME/...) on Linux,
    # ~/Library/Application Support/composeium-desktop on macOS, %LOCALAPPDATA% on Windows.
    path = Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
