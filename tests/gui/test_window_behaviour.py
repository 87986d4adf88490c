"""The window's own behaviour over stand-in core services: streaming, Stop, debounced
re-rendering, error marks, exports, files and autosave. The real-core tests are in
test_window_core.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_fakes import TUNE_BODY, FakeGenerator, fake_services
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composeium_desktop.core.harmony.text import strip_chords
from composeium_desktop.gui.controllers.export import EXPORT_KINDS

TUNE = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n" + TUNE_BODY


def _ready(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)


@pytest.fixture
def window(make_window, tmp_path):
    w = make_window(fake_services())
    w.start_background_work(tmp_path, offer_restore=False)
    return w


def test_generate_streams_tokens_into_editor_and_score(qtbot, window) -> None:
    _ready(qtbot, window)
    steps = []
    window.compose.generation.step.connect(steps.append)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        qtbot.keyClick(
            window.panel.title_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
        )
    assert len(steps) == len(TUNE_BODY) + 1
    text = window.editor.toPlainText()
    # The Chords box is ticked by default: the new tune arrives harmonised, melody unchanged.
    assert text.startswith("X:1\nT:Untitled\n") and TUNE_BODY in strip_chords(text)
    assert strip_chords(text) != text
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)
    assert not window.editor.isReadOnly()
    assert window.panel.generate_button.isEnabled()


def test_stop_cancels_at_once(qtbot, make_window, tmp_path) -> None:
    generator = FakeGenerator(hold_after=20)
    window = make_window(fake_services(generator))
    window.start_background_work(tmp_path, offer_restore=False)
    _ready(qtbot, window)
    ended: list[int] = []
    window.compose.generation.job_ended.connect(ended.append)
    window.compose.generate()
    qtbot.waitUntil(lambda: window.compose._tokens == 20, timeout=10_000)
    window.panel.stop_button.click()
    assert not window.compose.busy
    assert not window.editor.isReadOnly()
    assert window.panel.generate_button.isEnabled()
    text = window.editor.toPlainText()
    generator.gate.set()
    qtbot.waitUntil(lambda: bool(ended), timeout=5_000)
    assert window.editor.toPlainText() == text
    assert window.compose._tokens == 20
    assert "Stopped" in window.statusBar().currentMessage()


def test_an_edit_re_renders_the_score(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)
    before = len(window.score.result.positions)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(window.editor, "|a2b c'3|")
    qtbot.waitUntil(lambda: len(window.score.result.positions) == before + 3, timeout=5_000)
    line = TUNE.count("\n") + 1
    assert sorted(p for p in window.score.result.positions.values() if p[0] == line) == [
        (line, 2),
        (line, 4),
        (line, 6),
    ]


def test_malformed_edit_marks_the_error_and_keeps_running(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    with qtbot.waitSignal(window.score.render_failed, timeout=5_000):
        qtbot.keyClicks(window.editor, "ab#c")
    errors = window.editor.errors
    assert errors and errors[0].line == TUNE.count("\n") + 1
    assert errors[0].column == 3
    assert "line" in window.last_error
    assert window.score_view.has_score()


def test_cursor_and_score_are_linked(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)
    result = window.score.result
    element_id, (line, column) = sorted(result.positions.items(), key=lambda kv: kv[1])[5]
    rect = window.score_view.element_rect(element_id)
    assert rect is not None and rect.width() > 0
    window.score_view.ensureVisible(rect)
    view_point = window.score_view.mapFromScene(rect.center())
    qtbot.mouseClick(window.score_view.viewport(), Qt.MouseButton.LeftButton, pos=view_point)
    assert window.editor.cursor_line_column() == (line, column)
    window.editor.move_cursor_to(line, column)
    assert window.score_view._cursor_box.isVisible()
    assert window.score_view._cursor_box.rect() == rect


@pytest.mark.parametrize("kind", EXPORT_KINDS, ids=lambda k: k.key)
def test_each_export_from_the_menu(qtbot, make_window, tmp_path, monkeypatch, kind) -> None:
    exports: list = []
    window = make_window(fake_services(exports=exports))
    window.editor.setPlainText(TUNE)
    target = tmp_path / f"out{kind.suffix}"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), kind.file_filter)
    )
    with qtbot.waitSignal(window.files.export_finished, timeout=10_000):
        window.export_actions[kind.key].trigger()
    assert target.read_text(encoding="utf-8") == f"{kind.key}\n{TUNE}"
    assert exports[0][0] == kind.key


def test_export_failure_is_shown(qtbot, make_window, tmp_path, monkeypatch) -> None:
    services = fake_services()

    def failing(kind, text, path, options):
        raise OSError("disk full")

    import dataclasses

    window = make_window(dataclasses.replace(services, export=failing))
    window.editor.setPlainText(TUNE)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "x.wav"), "")
    )
    window.export_actions["wav"].trigger()
    qtbot.waitUntil(lambda: "disk full" in window.last_error, timeout=10_000)


def test_save_open_and_tune_book(qtbot, window, tmp_path, monkeypatch) -> None:
    window.editor.setPlainText(TUNE)
    window.editor.document().setModified(True)
    target = tmp_path / "saved.abc"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.files.save()
    assert target.read_text(encoding="utf-8") == TUNE
    assert not window.isWindowModified()
    book = tmp_path / "book.abc"
    book.write_text(TUNE + "\n" + TUNE.replace("X:1\nT:Test", "X:2\nT:Second"), encoding="utf-8")
    assert window.files.open_path(book, tune_index=1)
    assert window.editor.toPlainText().startswith("X:2\nT:Second")
    assert window.files.path == book and window.files.index == 1  # saves back into the book
    assert str(book.resolve()) in window.files.recent_files


def test_close_with_unsaved_changes_asks(qtbot, window, monkeypatch) -> None:
    window.editor.setPlainText(TUNE)
    window.editor.document().setModified(True)
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel,
    )
    window.close()
    assert asked and window.isVisible()


def test_autosave_is_offered_after_a_crash(qtbot, window, monkeypatch) -> None:
    window.editor.setPlainText(TUNE)
    window.editor.document().setModified(True)
    window.files.autosave_now()
    saved = window.files.autosave_path
    assert saved.read_text(encoding="utf-8") == TUNE
    crashed = saved.with_name("autosave-999999.abc")
    saved.rename(crashed)
    saved.with_suffix(".json").rename(crashed.with_suffix(".json"))
    window.editor.setPlainText("")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.files.offer_restore()
    assert window.editor.toPlainText() == TUNE
    assert window.files.is_modified()
    assert not crashed.exists()


def test_no_audio_device_is_explained_and_nothing_else_breaks(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    window.transport.play_button.click()
    assert "no audio output device" in window.transport.message_label.text()
    assert window.transport.message_label.isVisibleTo(window)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)


def test_dropping_a_file_opens_it(qtbot, window, tmp_path) -> None:
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    path = Path(tmp_path / "dropped.abc")
    path.write_text(TUNE, encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.editor.toPlainText() == TUNE
    assert window.files.path == path


@pytest.fixture
def recorded(qtbot, make_window, tmp_path):
    """A ready window over a stand-in generator that keeps the requests it is given."""
    generator = FakeGenerator()
    window = make_window(fake_services(generator))
    window.start_background_work(tmp_path, offer_restore=False)
    _ready(qtbot, window)
    return window, generator


def test_bars_field_asks_for_a_length_or_leaves_it_to_the_genre(qtbot, recorded) -> None:
    window, generator = recorded
    assert window.panel.bars_spin.text() == "Auto"
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.panel.generate_button.click()
    assert generator.requests[-1].bars is None  # drawn like the corpus's by the generator
    window.panel.bars_spin.setValue(32)
    assert window.panel.bars_spin.text() == "32 bars"
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.panel.generate_button.click()
    assert generator.requests[-1].bars == 32


def test_generating_tune_after_tune_keeps_python_objects_alive(qtbot, window) -> None:
    """PySide6 6.12.0 dropped a reference to None/True/False with every signal carrying Python
    objects: a tune streams hundreds of steps, so the app aborted ("deallocating None") once
    enough tunes had streamed. Those counts must not fall while tunes are written."""
    import sys

    _ready(qtbot, window)
    singletons = (None, True, False)
    before = [sys.getrefcount(x) for x in singletons]
    for _ in range(4):
        with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
            window.panel.generate_button.click()
    after = [sys.getrefcount(x) for x in singletons]
    assert all(a > b - 100 for a, b in zip(after, before, strict=True)), (before, after)


def test_continue_from_cursor_primes_with_the_body_up_to_the_cursor(qtbot, recorded) -> None:
    window, generator = recorded
    window.editor.setPlainText(TUNE)
    body_line = TUNE.count("\n", 0, TUNE.index(TUNE_BODY)) + 1
    window.editor.move_cursor_to(body_line, 10)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.panel.continue_button.click()
    assert generator.requests[-1].prime == TUNE[: TUNE.index(TUNE_BODY) + 9]
    assert generator.requests[-1].key == "D"
    text = window.editor.toPlainText()
    assert text.startswith("X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n" + TUNE_BODY[:9] + TUNE_BODY)


def test_variations_let_the_user_pick_one(qtbot, window, monkeypatch) -> None:
    from composeium_desktop.gui.widgets.dialogs import VariationsDialog

    _ready(qtbot, window)

    def pick_second(dialog: VariationsDialog) -> int:
        assert dialog.list.count() == 3
        dialog.list.setCurrentRow(1)
        return VariationsDialog.DialogCode.Accepted

    monkeypatch.setattr(VariationsDialog, "exec", pick_second)
    window.panel.variations_spin.setValue(3)
    with qtbot.waitSignal(window.compose.generation.variations_ready, timeout=10_000):
        window.panel.variations_button.click()
    assert window.editor.toPlainText().startswith("X:2\nT:Variation 2")
    assert not window.compose.busy


def test_without_a_model_generate_explains_and_the_rest_works(qtbot, make_window, tmp_path) -> None:
    import dataclasses

    window = make_window(dataclasses.replace(fake_services(), model_available=lambda _d: False))
    window.start_background_work(tmp_path, offer_restore=False)
    assert window.panel.model_status.text() == "Model: not found"
    window.panel.generate_button.click()
    assert "No trained model" in window.last_error
    assert not window.compose.busy
    window.editor.setPlainText(TUNE)
    qtbot.waitUntil(window.score_view.has_score, timeout=10_000)


def test_settings_dialog_applies_soundfont_device_and_defaults(qtbot, window, monkeypatch) -> None:
    from composeium_desktop.gui.widgets.dialogs import SettingsDialog

    def edit_and_accept(dialog: SettingsDialog) -> int:
        dialog.soundfont_edit.setText("/sf/test.sf2")
        dialog.mode_combo.setCurrentText("dorian")
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", edit_and_accept)
    window.settings_action.trigger()
    assert window.settings.soundfont == "/sf/test.sf2"
    assert window.settings.defaults.mode == "dorian"
    assert window.playback.soundfont == "/sf/test.sf2"
    assert window.playback.options()["soundfont"] == "/sf/test.sf2"
    assert window.collect_settings().soundfont == "/sf/test.sf2"


def test_form_choices_arriving_late_keep_what_the_user_typed(qtbot, make_window) -> None:
    from composeium_desktop.gui.widgets.metadata_panel import FormChoices

    window = make_window(fake_services())
    window.panel.title_edit.setText("The Late Choices")
    window.panel.mode_combo.setCurrentText("dorian")
    window._on_choices(1, FormChoices(modes=("major", "minor", "dorian", "lydian")))
    assert window.panel.title_edit.text() == "The Late Choices"
    assert window.panel.mode_combo.currentText() == "dorian"
    assert window.panel.mode_combo.count() == 4
