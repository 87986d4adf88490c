"""The autosave lock: an autosave belongs to a live process (psutil.pid_exists, portable)
until that process is gone; only then is it offered for restore."""

from __future__ import annotations

import os
import stat
import subprocess
import sys


def test_only_autosaves_of_dead_processes_are_orphaned(make_window) -> None:
    window = make_window()
    folder = window.files.autosave_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        for pid in (dead.pid, alive.pid, os.getpid()):
            (folder / f"autosave-{pid}.abc").write_text("X:1\nK:D\nABc|\n", encoding="utf-8")
        orphans = window.files.orphaned_autosaves()
    finally:
        assert alive.stdin is not None
        alive.stdin.close()
        alive.wait()
    assert [p.name for p in orphans] == [f"autosave-{dead.pid}.abc"]


def test_autosave_files_get_normal_permissions(make_window) -> None:
    old = os.umask(0o022)
    try:
        window = make_window()
        window.editor.setPlainText("X:1\nT:Autosaved\nK:D\nABc|\n")
        window.editor.document().setModified(True)
        window.files.autosave_now()
    finally:
        os.umask(old)
    saved = window.files.autosave_path
    assert saved.read_text(encoding="utf-8").startswith("X:1\nT:Autosaved")
    if os.name == "posix":
        assert stat.S_IMODE(saved.stat().st_mode) == 0o644
        assert stat.S_IMODE(saved.with_suffix(".json").stat().st_mode) == 0o644
    assert not [p for p in saved.parent.iterdir() if p.name.startswith(".")]


def test_unreadable_autosave_metadata_reads_as_empty(tmp_path) -> None:
    from composeium_desktop.gui.controllers.autosave import read_meta

    autosave = tmp_path / "autosave-1.abc"
    assert read_meta(autosave) == {}  # no .json beside it
    for broken in ("{not json", "[1, 2]", '"text"'):
        autosave.with_suffix(".json").write_text(broken, encoding="utf-8")
        assert read_meta(autosave) == {}
    autosave.with_suffix(".json").write_text('{"path": "/x/t.abc", "tune": 2}', encoding="utf-8")
    assert read_meta(autosave) == {"path": "/x/t.abc", "tune": 2}
