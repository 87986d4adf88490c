"""Opening a file that is not ABC text: a clear message, and the tune on screen stays."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

TUNE = "X:1\nT:Kept\nM:4/4\nL:1/8\nK:D\nABcd efga|]\n"


def _window_with_tune(make_window, tmp_path: Path):
    window = make_window()
    saved = tmp_path / "kept.abc"
    saved.write_text(TUNE, encoding="utf-8")
    assert window.files.open_path(saved, ask=False)
    return window, saved


def test_a_binary_file_opened_from_the_menu_is_refused_and_the_tune_stays(
    qtbot, make_window, tmp_path, monkeypatch
) -> None:
    window, saved = _window_with_tune(make_window, tmp_path)
    binary = tmp_path / "recording.abc"
    binary.write_bytes(b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(range(256)) * 8)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(binary), ""))
    with qtbot.waitSignal(window.files.error, timeout=5000) as blocker:
        window.open_action.trigger()
    assert blocker.args == ["Cannot open recording.abc: this is a binary file, not ABC text."]
    assert window.last_error == blocker.args[0]
    assert window.statusBar().currentMessage() == blocker.args[0]
    assert window.editor.toPlainText() == TUNE
    assert window.files.path == saved
    assert not window.editor.document().isModified()


def test_a_latin1_tune_book_opens_and_says_how_it_was_read(qtbot, make_window, tmp_path) -> None:
    window, _saved = _window_with_tune(make_window, tmp_path)
    old = tmp_path / "old-book.abc"
    old.write_bytes("X:1\nT:Caf\xe9 Reel\nM:4/4\nL:1/8\nK:D\nABcd efga|]\n".encode("latin-1"))
    with qtbot.waitSignal(window.files.status, timeout=5000) as blocker:
        assert window.files.open_path(old, ask=False)
    assert blocker.args == ["Opened old-book.abc (not UTF-8: read as Latin-1)."]
    assert "T:Caf\xe9 Reel" in window.editor.toPlainText()
