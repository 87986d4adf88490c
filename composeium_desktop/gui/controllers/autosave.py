"""Where unsaved work is autosaved, and the autosaves a crashed process left behind.

Each process writes ``autosave-<pid>.abc`` (the document) and ``autosave-<pid>.json`` (its
file, tune and encoding) in its folder; an autosave whose process is gone (psutil, portable) is
an orphan the next start offers to restore.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from composeium_desktop.core import fileio


def _pid_alive(pid: int) -> bool:
    import psutil  # only when an autosave is left behind: not on the way to the window

    return bool(psutil.pid_exists(pid))


class AutosaveStore:
    """This process's autosave in `folder` (``path``: the text; the .json beside it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / f"autosave-{os.getpid()}.abc"

    def write(self, text: str, meta: dict[str, object]) -> None:
        """Write the text and its metadata atomically; raises OSError."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fileio.write_text(self.path, text)
        fileio.write_text(self.path.with_suffix(".json"), json.dumps(meta))

    def discard(self) -> None:
        remove(self.path)

    def orphans(self) -> list[Path]:
        """Autosaves left by processes that are gone (a crash or a kill)."""
        found = []
        for file in sorted(self.folder.glob("autosave-*.abc")):
            match = re.fullmatch(r"autosave-(\d+)\.abc", file.name)
            if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
                found.append(file)
        return found


def read_meta(autosave: Path) -> dict[str, object]:
    """The metadata written beside `autosave` ({} when it is missing or unreadable)."""
    try:
        meta = json.loads(autosave.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def remove(autosave: Path) -> None:
    """Delete an autosave and its metadata."""
    autosave.unlink(missing_ok=True)
    autosave.with_suffix(".json").unlink(missing_ok=True)
