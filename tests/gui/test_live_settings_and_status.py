"""Small things users notice: settings apply and are stored at once, recent files are stored
when they change, status messages go when they stop being true, unreadable K: values are
marked in the editor."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from gui_fakes import TUNE_BODY, fake_services
from PySide6.QtWidgets import QDialog

from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import AppSettings
from composeium_desktop.gui.widgets.dialogs import SettingsDialog

TUNE = f"X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n{TUNE_BODY}"


def test_settings_apply_and_are_stored_at_once(qtbot, make_window, monkeypatch) -> None:
    stored: list[AppSettings] = []
    window = make_window(fake_services(), store_settings=stored.append)
    assert window.panel.tonic_combo.currentText() == "D"

    def answer(dialog: SettingsDialog) -> int:
        dialog.tonic_combo.setCurrentIndex(dialog.tonic_combo.findText("G"))
        dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findText("minor"))
        dialog.soundfont_edit.setText("/sf/fiddle.sf2")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", answer)
    window.settings_action.trigger()
    # No restart: the form shows the new defaults and the next Play uses the new SoundFont.
    assert window.panel.tonic_combo.currentText() == "G"
    assert window.panel.mode_combo.currentText() == "minor"
    assert window.playback.soundfont == "/sf/fiddle.sf2"
    assert stored and stored[-1].defaults.tonic == "G"
    assert stored[-1].soundfont == "/sf/fiddle.sf2"


def test_recent_files_are_stored_when_they_change(qtbot, make_window, tmp_path) -> None:
    stored: list[AppSettings] = []
    window = make_window(fake_services(), store_settings=stored.append)
    tune = tmp_path / "kesh.abc"
    tune.write_text(TUNE, encoding="utf-8")
    assert window.files.open_path(tune, ask=False)
    assert stored and stored[-1].recent_files[0] == str(tune.resolve())


def test_a_score_error_is_cleared_once_undo_fixes_it(qtbot, make_window) -> None:
    window = make_window(fake_services())
    with qtbot.waitSignal(window.score.rendered, timeout=10_000):
        window.editor.setPlainText(TUNE)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    with qtbot.waitSignal(window.score.render_failed, timeout=10_000):
        qtbot.keyClicks(window.editor, "a#")
    assert window.statusBar().currentMessage().startswith("Score not updated")
    with qtbot.waitSignal(window.score.rendered, timeout=10_000):
        while "#" in window.editor.toPlainText():
            window.editor.undo()
        window.score.refresh_now()
    assert window.statusBar().currentMessage() == ""
    assert window.last_error == ""


class _FakePlayer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def add_position_listener(self, listener) -> None:
        pass

    def add_finished_listener(self, listener) -> None:
        pass

    def __getattr__(self, name: str):
        if name in ("load", "play", "pause", "resume", "stop", "set_loop", "set_tempo", "close"):
            return lambda *args: self.calls.append(name)
        raise AttributeError(name)


def test_playing_is_not_shown_while_paused(qtbot, make_window) -> None:
    player = _FakePlayer()
    services = dataclasses.replace(
        fake_services(),
        make_player=lambda soundfont, device: player,
        make_midi=lambda text, tempo, program, lilt=None: SimpleNamespace(
            tempo=120, duration_ms=4000.0
        ),
    )
    window = make_window(services)
    window.editor.setPlainText(TUNE)
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: window.playback.playing, timeout=10_000)
    assert window.statusBar().currentMessage() == "Playing."
    window.transport.play_button.click()
    assert window.playback.paused and player.calls[-1] == "pause"
    assert window.statusBar().currentMessage() == "Paused."
    window.transport.play_button.click()
    assert window.statusBar().currentMessage() == "Playing."
    window.transport.stop_button.click()
    assert window.statusBar().currentMessage() == "Stopped."


def test_an_unreadable_key_gets_an_error_mark(qtbot, make_window) -> None:
    services = dataclasses.replace(fake_services(), validate=CoreServices().validate)
    window = make_window(services)
    with qtbot.waitSignal(window.score.errors_changed, timeout=10_000):
        window.editor.setPlainText(TUNE.replace("K:D", "K:H"))
    marks = [m for m in window.editor.errors if m.severity == "error"]
    assert [(m.line, m.column) for m in marks] == [(5, 3)]
    assert "cannot read the key 'H'" in marks[0].message
    with qtbot.waitSignal(window.score.errors_changed, timeout=10_000):
        window.editor.setPlainText(TUNE.replace("K:D", "K:Hp"))
    assert not [m for m in window.editor.errors if m.severity == "error"]
