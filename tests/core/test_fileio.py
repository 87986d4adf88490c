"""core.fileio: the one atomic write, its permissions, its failures, and the text reader."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from composeium_desktop.core import fileio


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_normal_permissions_under_the_umask(
    tmp_path: Path, umask: int, expected: int
) -> None:
    old = os.umask(umask)
    try:
        fileio.write_text(tmp_path / "tune.abc", "X:1\nK:D\nABc|\n")
        fileio.write_bytes(tmp_path / "tune.mid", b"MThd")
        with fileio.atomic_path(tmp_path / "model.keras", suffix=".keras") as tmp:
            tmp.write_bytes(b"weights")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "tune.abc") == expected
    assert _mode(tmp_path / "tune.mid") == expected
    assert _mode(tmp_path / "model.keras") == expected


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_generate_out_and_gui_save_write_0644(tmp_path: Path, umask_022: None) -> None:
    """The two writers the issue found at 0600 (generate --out, Save) both go through fileio."""
    from composeium_desktop.commands.generate import _write

    _write("X:1\nK:D\nABc|\n", tmp_path / "book.abc")
    assert _mode(tmp_path / "book.abc") == 0o644
    pytest.importorskip("PySide6")
    from composeium_desktop.gui.controllers.file import write_text_atomic

    write_text_atomic(tmp_path / "saved.abc", "X:1\nK:D\nABc|\n")
    assert _mode(tmp_path / "saved.abc") == 0o644


def test_write_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "tune.abc"
    fileio.write_text(target, "old\n")
    fileio.write_text(target, "X:1\r\nK:D\r\n")
    assert target.read_bytes() == b"X:1\r\nK:D\r\n"  # newlines as given, no translation
    assert _leftovers(tmp_path) == []


def test_a_failing_writer_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "tune.abc"
    target.write_text("the old tune\n")

    def half_then_fail(handle: object) -> None:
        handle.write(b"half a ne")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        fileio.atomic_write(target, half_then_fail)
    assert target.read_text() == "the old tune\n"
    assert _leftovers(tmp_path) == []


def test_a_failing_rename_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "tune.abc"
    target.write_text("the old tune\n")

    def refuse(_src: object, _dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fileio.os, "replace", refuse)
    with pytest.raises(PermissionError):
        fileio.write_text(target, "the new tune\n")
    with pytest.raises(PermissionError), fileio.atomic_path(target, suffix=".keras") as tmp:
        tmp.write_bytes(b"new")
    assert target.read_text() == "the old tune\n"
    assert _leftovers(tmp_path) == []


def test_a_failing_fsync_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.json"
    target.write_text("{}\n")

    def broken(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fileio.os, "fsync", broken)
    with pytest.raises(OSError, match="Input/output"):
        fileio.write_text(target, '{"new": 1}\n')
    assert target.read_text() == "{}\n"
    assert _leftovers(tmp_path) == []


def test_an_interrupt_mid_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "tune.abc"
    target.write_text("kept\n")

    def interrupted(handle: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fileio.atomic_write(target, interrupted)
    assert target.read_text() == "kept\n"
    assert _leftovers(tmp_path) == []


def test_export_failure_keeps_the_old_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from composeium_desktop.core import export

    target = tmp_path / "tune.abc"
    target.write_text("previous export\n")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", refuse)
    with pytest.raises(export.ExportError, match="the disk is full"):
        export.export_abc("X:1\nT:A\nM:4/4\nL:1/8\nK:D\nABcd efga|\n", target)
    assert target.read_text() == "previous export\n"
    assert _leftovers(tmp_path) == []


def test_read_text_refuses_binary_and_non_utf8_with_a_clear_message(tmp_path: Path) -> None:
    binary = tmp_path / "song.mid"
    binary.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk")
    with pytest.raises(fileio.NotTextError, match="binary file, not ABC text"):
        fileio.read_text(binary)
    latin = tmp_path / "old.abc"
    latin.write_bytes("X:1\nT:Caf\xe9\nK:D\n".encode("latin-1"))
    with pytest.raises(
        fileio.NotTextError, match=r"not UTF-8 text \(byte 0xe9 at line 2, column 6\)"
    ):
        fileio.read_text(latin)
    bom = tmp_path / "bom.abc"
    bom.write_bytes("\ufeffX:1\nK:D\n".encode())
    assert fileio.read_text(bom) == "X:1\nK:D\n"


def test_decode_abc_reads_latin1_books_but_not_binary(tmp_path: Path) -> None:
    assert fileio.decode_abc(tmp_path, "T:Caf\xe9\n".encode("latin-1")) == (
        "T:Caf\xe9\n",
        "latin-1",
    )
    assert fileio.decode_abc(tmp_path, "T:Café\n".encode()) == ("T:Café\n", "utf-8")
    with pytest.raises(fileio.NotTextError):
        fileio.decode_abc(tmp_path, bytes(range(256)) * 4)


def test_cli_render_refuses_a_binary_file_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from composeium_desktop import cli

    binary = tmp_path / "picture.abc"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    code = cli.main(["render", str(binary), "--output", str(tmp_path / "out.svg")])
    assert code == 2
    assert "binary file, not ABC text" in capsys.readouterr().err
    assert not (tmp_path / "out.svg").exists()
