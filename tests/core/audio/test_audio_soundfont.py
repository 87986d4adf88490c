"""SoundFont lookup order: user setting, $COMPOSEIUM_SOUNDFONT, system GM fonts, the bundled one."""

from __future__ import annotations

import pytest

from composeium_desktop.core.audio import soundfont
from composeium_desktop.core.audio.soundfont import SoundFontError, find_soundfont


@pytest.fixture
def fonts(tmp_path, monkeypatch):
    paths = {name: tmp_path / f"{name}.sf2" for name in ("user", "env", "system")}
    for path in paths.values():
        path.write_bytes(b"RIFF")
    monkeypatch.setattr(soundfont, "SYSTEM_SOUNDFONTS", (tmp_path / "none.sf2", paths["system"]))
    monkeypatch.delenv(soundfont.ENV_VAR, raising=False)
    return paths


def test_order_user_then_env_then_system_then_bundled(fonts, monkeypatch, tmp_path):
    monkeypatch.setenv(soundfont.ENV_VAR, str(fonts["env"]))
    assert find_soundfont(fonts["user"]) == fonts["user"]
    assert find_soundfont() == fonts["env"]
    monkeypatch.delenv(soundfont.ENV_VAR)
    assert find_soundfont() == fonts["system"]
    monkeypatch.setattr(soundfont, "SYSTEM_SOUNDFONTS", (tmp_path / "gone.sf2",))
    bundled = find_soundfont()
    assert bundled.name == "TimGM6mb.sf2" and bundled.is_file()


def test_a_configured_soundfont_that_does_not_exist_is_an_error(fonts, monkeypatch, tmp_path):
    with pytest.raises(SoundFontError, match="not a file"):
        find_soundfont(tmp_path / "missing.sf2")
    monkeypatch.setenv(soundfont.ENV_VAR, str(tmp_path / "missing.sf2"))
    with pytest.raises(SoundFontError, match=soundfont.ENV_VAR):
        find_soundfont()


def test_no_soundfont_anywhere_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv(soundfont.ENV_VAR, raising=False)
    monkeypatch.setattr(soundfont, "SYSTEM_SOUNDFONTS", ())
    monkeypatch.setattr(soundfont, "bundled_soundfont", lambda: None)
    with pytest.raises(SoundFontError, match="no General MIDI SoundFont"):
        find_soundfont()
