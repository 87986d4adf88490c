"""The application's settings: one typed, versioned object and the only code touching QSettings.

Widgets never read QSettings themselves; they receive an AppSettings and hand back a changed
copy (dataclasses.replace), which the window stores with save_settings().
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from PySide6.QtCore import QSettings

SCHEMA_VERSION = 1
MAX_RECENT_FILES = 10
ORGANIZATION = "Composeium"
APPLICATION = "Composeium Desktop"


@dataclass(frozen=True)
class DefaultMetadata:
    """What the metadata panel shows on start-up."""

    title: str = "Untitled"
    tonic: str = "D"
    mode: str = "major"
    meter: str = "6/8"
    genre: str = "jig"
    tempo: int = 120
    temperature: float = 1.0
    max_tokens: int = 384


@dataclass(frozen=True)
class AppSettings:
    """Everything Composeium Desktop remembers between runs."""

    schema_version: int = SCHEMA_VERSION
    soundfont: str = ""
    audio_device: str = ""
    defaults: DefaultMetadata = field(default_factory=DefaultMetadata)
    recent_files: tuple[str, ...] = ()
    zoom: int = 0  # percent; 0 follows the score view's width
    program: int = 0
    tempo: int = 120
    swing: float = -1.0  # percent (core.audio.lilt); below 0: each tune with its genre's swing
    window_geometry: bytes = b""
    window_state: bytes = b""
    # Where a generated tune goes when a file is open: "ask", "new" (an untitled document)
    # or "book" (a new tune at the end of the open book). Never over the open tune.
    generated_tunes: str = "ask"

    def with_recent_file(self, path: str) -> AppSettings:
        """A copy with `path` first in the recent-files list (no duplicates, bounded)."""
        recent = (path, *(p for p in self.recent_files if p != path))
        return dataclasses.replace(self, recent_files=recent[:MAX_RECENT_FILES])


def open_qsettings() -> QSettings:
    """The QSettings store used by the application (INI format, per user)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def _convert(raw: Any, default: Any) -> Any:
    """Coerce a stored value to the type of its default; fall back to the default when unusable."""
    if raw is None:
        return default
    try:
        if isinstance(default, bool):
            return raw in (True, "true", "1", 1)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, str):
            return str(raw)
        if isinstance(default, bytes):
            return bytes(raw)
        if isinstance(default, tuple):
            items = [raw] if isinstance(raw, str) else list(raw)
            return tuple(str(item) for item in items if str(item))
    except (TypeError, ValueError):
        return default
    return default


def _read_group(store: QSettings, cls: type, prefix: str) -> Any:
    values = {}
    default = cls()
    for f in fields(cls):
        if f.name == "schema_version":
            continue
        current = getattr(default, f.name)
        if dataclasses.is_dataclass(current):
            values[f.name] = _read_group(store, type(current), f"{prefix}{f.name}/")
        else:
            values[f.name] = _convert(store.value(prefix + f.name), current)
    return cls(**values)


def _write_group(store: QSettings, obj: Any, prefix: str) -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _write_group(store, value, f"{prefix}{f.name}/")
        elif isinstance(value, tuple):
            store.setValue(prefix + f.name, list(value))
        else:
            store.setValue(prefix + f.name, value)


def load_settings(store: QSettings | None = None) -> AppSettings:
    """Read the settings; a store written by another schema version starts from the defaults."""
    store = store or open_qsettings()
    version = _convert(store.value("schema_version"), 0)
    if version != SCHEMA_VERSION:
        return AppSettings()
    return _read_group(store, AppSettings, "")


def save_settings(settings: AppSettings, store: QSettings | None = None) -> None:
    """Write every field of `settings`, then flush to disk."""
    store = store or open_qsettings()
    _write_group(store, settings, "")
    store.sync()
