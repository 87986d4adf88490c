"""Transpose from the Edit menu: to a named key (instrument-friendly keys first) or by an
interval, the tune or the selection, chord symbols included, as one undo step."""

from __future__ import annotations

import dataclasses

from gui_fakes import fake_services
from PySide6.QtGui import QTextCursor

from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.dialogs import TransposeDialog

TUNE = 'X:1\nT:Chords\nM:4/4\nL:1/8\nK:G\n"G"G2 AB "D7"d2 ^cd|"Em/B"e2 B2 "C"c4|\n'


def _services() -> CoreServices:
    real = CoreServices()
    return dataclasses.replace(
        fake_services(), transpose=real.transpose, parse_tune=real.parse_tune
    )


def _answer(monkeypatch, act) -> list[TransposeDialog]:
    """Make the dialog answer as `act(dialog)` sets it, then OK."""
    seen: list[TransposeDialog] = []

    def exec_(dialog: TransposeDialog) -> int:
        seen.append(dialog)
        act(dialog)
        return TransposeDialog.DialogCode.Accepted

    monkeypatch.setattr(TransposeDialog, "exec", exec_)
    return seen


def test_transpose_the_tune_to_a_named_key_with_its_chords(qtbot, make_window, monkeypatch):
    window = make_window(_services())
    window.editor.setPlainText(TUNE)
    seen = _answer(monkeypatch, lambda d: d.select_key("D"))
    window.transpose_action.trigger()
    dialog = seen[0]
    offered = [dialog.key_combo.itemText(i) for i in range(dialog.key_combo.count())]
    assert offered[:3] == ["D", "G", "A"]
    assert {"C", "F", "Bb", "E"} <= set(offered)
    assert not dialog.selection_radio.isEnabled()
    lines = window.editor.toPlainText().splitlines()
    assert lines[4] == "K:D"
    assert lines[5] == '"D"D2 EF "A7"A2 ^GA|"Bm/F#"B2 F2 "G"G4|'
    assert window.statusBar().currentMessage().startswith("Transposed the tune to D")
    window.editor.undo()
    assert window.editor.toPlainText() == TUNE


def test_a_minor_tune_is_offered_minor_keys(qtbot, make_window, monkeypatch):
    window = make_window(_services())
    window.editor.setPlainText(TUNE.replace("K:G", "K:Em"))
    dialog = window.transposer.make_dialog()
    assert dialog is not None
    offered = [dialog.key_combo.itemText(i) for i in range(dialog.key_combo.count())]
    assert offered[:3] == ["Em", "Am", "Bm"]
    dialog.deleteLater()


def test_transpose_the_selection_by_an_interval(qtbot, make_window, monkeypatch):
    window = make_window(_services())
    window.editor.setPlainText(TUNE)
    start = TUNE.index('"Em/B"')
    cursor = window.editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(len(TUNE) - 2, QTextCursor.MoveMode.KeepAnchor)  # the second bar
    window.editor.setTextCursor(cursor)

    def by_a_tone_down(dialog: TransposeDialog) -> None:
        assert dialog.selection_radio.isChecked()
        dialog.by_interval_radio.setChecked(True)
        dialog.interval_combo.setCurrentIndex(dialog.interval_combo.findText("major second"))
        dialog.interval_direction.setCurrentIndex(dialog.interval_direction.findText("down"))

    _answer(monkeypatch, by_a_tone_down)
    window.transpose_action.trigger()
    lines = window.editor.toPlainText().splitlines()
    assert lines[4] == "K:G"  # the key signature stays
    assert lines[5] == '"G"G2 AB "D7"d2 ^cd|"Dm/A"d2 A2 "Bb"_B4|'
    assert window.editor.textCursor().selectedText().startswith('"Dm/A"')
    window.editor.undo()
    assert window.editor.toPlainText() == TUNE


def test_an_unreadable_key_is_reported_not_transposed(qtbot, make_window, monkeypatch):
    window = make_window(_services())
    window.editor.setPlainText(TUNE.replace("K:G", "K:Q"))
    _answer(monkeypatch, lambda d: None)
    window.transpose_action.trigger()
    assert window.last_error.startswith("Cannot transpose")
    assert window.editor.toPlainText() == TUNE.replace("K:G", "K:Q")
