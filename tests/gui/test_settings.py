"""Settings: one typed object, read and written through QSettings by one module."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings

from composeium_desktop.gui.settings import (
    MAX_RECENT_FILES,
    AppSettings,
    DefaultMetadata,
    load_settings,
    save_settings,
)


def _store(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_round_trip(tmp_path) -> None:
    settings = AppSettings(
        soundfont="/sf/gm.sf2",
        audio_device="pulse",
        defaults=DefaultMetadata(title="Morning", tonic="E", mode="dorian", meter="2/4"),
        recent_files=("/a.abc", "/b.abc"),
        zoom=85,
        program=40,
        tempo=96,
        window_geometry=b"\x01\x02",
    )
    save_settings(settings, _store(tmp_path))
    assert load_settings(_store(tmp_path)) == settings


def test_missing_or_foreign_schema_gives_defaults(tmp_path) -> None:
    assert load_settings(_store(tmp_path)) == AppSettings()
    store = _store(tmp_path)
    store.setValue("schema_version", 999)
    store.setValue("zoom", 50)
    store.sync()
    assert load_settings(_store(tmp_path)) == AppSettings()


def test_unreadable_value_falls_back_to_its_default(tmp_path) -> None:
    save_settings(AppSettings(), _store(tmp_path))
    store = _store(tmp_path)
    store.setValue("tempo", "fast")
    store.sync()
    assert load_settings(_store(tmp_path)).tempo == AppSettings().tempo


def test_recent_files_are_unique_and_bounded() -> None:
    settings = AppSettings()
    for i in range(MAX_RECENT_FILES + 5):
        settings = settings.with_recent_file(f"/tune{i}.abc")
    settings = settings.with_recent_file("/tune3.abc")
    assert settings.recent_files[0] == "/tune3.abc"
    assert len(settings.recent_files) == MAX_RECENT_FILES
    assert len(set(settings.recent_files)) == MAX_RECENT_FILES
    assert dataclasses.replace(settings).recent_files == settings.recent_files
