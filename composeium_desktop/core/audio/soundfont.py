"""Find a General MIDI SoundFont: the user's setting, $COMPOSEIUM_SOUNDFONT, the system's GM
SoundFonts, then the small TimGM6mb.sf2 that ships inside the pretty_midi package, so playback
works out of the box."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

ENV_VAR = "COMPOSEIUM_SOUNDFONT"
SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/default.sf2"),
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf3/default-GM.sf3"),
    Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),
)


class SoundFontError(Exception):
    """No usable SoundFont, or a configured one that does not exist."""


def bundled_soundfont() -> Path | None:
    """The TimGM6mb.sf2 inside the installed pretty_midi package, if present."""
    try:
        path = Path(str(importlib.resources.files("pretty_midi") / "TimGM6mb.sf2"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def find_soundfont(user_setting: str | os.PathLike | None = None) -> Path:
    """The SoundFont to use; a configured path (setting or env var) must exist."""
    for origin, value in (
        ("the SoundFont setting", user_setting),
        (ENV_VAR, os.environ.get(ENV_VAR)),
    ):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise SoundFontError(f"{origin} names {path}, which is not a file")
            return path
    for path in SYSTEM_SOUNDFONTS:
        if path.is_file():
            return path
    bundled = bundled_soundfont()
    if bundled is not None:
        return bundled
    raise SoundFontError(
        "no General MIDI SoundFont found: install fluid-soundfont-gm, set "
        f"{ENV_VAR}, or choose a .sf2 file in the settings"
    )
