"""The musician's workbench: documents that cannot be lost, tune books, header/panel sync, Help."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from gui_fakes import TUNE_BODY, fake_services
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composeium_desktop.core.harmony.text import strip_chords
from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.controllers.export import EXPORT_KINDS
from composeium_desktop.gui.settings import AppSettings

TUNE = "X:1\nT:Kesh\nM:6/8\nL:1/8\nK:G\n" + TUNE_BODY
BOOK = (
    "% Session book, caf\u00e9 edition\r\n"
    "\r\n"
    "X:1\r\nT:Bucks\r\nR:reel\r\nM:C|\r\nL:1/8\r\nK:D\r\n|:A2FA A2dB|ABAF BEEz:|\r\n"
    "\r\n\r\n"
    "X:2\r\nT:Westport\r\nR:reel\r\nM:C|\r\nL:1/8\r\nK:F\r\n|:f2fe fcAc|f2fe fagf:|\r\n"
    "\r\n"
    "% between tunes\r\n"
    "\r\n"
    "X:3\r\nT:Heart\r\nR:hornpipe\r\nM:C|\r\nL:1/8\r\nK:Gm\r\n|:BGFD EC C2|DG G^F GABc:|\r\n"
)


def _window(make_window, tmp_path: Path, target: str = "ask", generator=None):
    window = make_window(fake_services(generator), AppSettings(generated_tunes=target))
    window.start_background_work(tmp_path, offer_restore=False)
    return window


def _ready(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=10_000)


def _write_book(tmp_path: Path) -> Path:
    path = tmp_path / "book.abc"
    path.write_bytes(BOOK.encode("latin-1"))
    return path


def _no_save_dialog(monkeypatch) -> list[tuple]:
    asked: list[tuple] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    return asked


def test_generated_tune_is_a_new_untitled_document(qtbot, make_window, tmp_path, monkeypatch):
    named = tmp_path / "kesh.abc"
    named.write_text(TUNE, encoding="utf-8")
    window = _window(make_window, tmp_path, target="new")
    _ready(qtbot, window)
    assert window.files.open_path(named)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.generate_action.trigger()
    assert window.files.path is None
    assert "Untitled" in window.windowTitle()
    asked = _no_save_dialog(monkeypatch)
    window.save_action.trigger()  # Ctrl+S: a new document asks where, never writes kesh.abc
    assert asked and named.read_text(encoding="utf-8") == TUNE
    window.editor.document().setModified(False)


def test_generate_over_unsaved_text_asks_first(qtbot, make_window, tmp_path, monkeypatch):
    window = _window(make_window, tmp_path, target="new")
    _ready(qtbot, window)
    window.editor.setPlainText(TUNE)
    window.editor.document().setModified(True)
    asked: list[tuple] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel,
    )
    window.generate_action.trigger()
    assert asked and "Kesh" in asked[0][2]
    assert window.editor.toPlainText() == TUNE and not window.compose.busy
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.generate_action.trigger()
    assert "T:Kesh" not in window.editor.toPlainText()
    window.editor.document().setModified(False)


def test_generated_tune_joins_the_open_book(qtbot, make_window, tmp_path) -> None:
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path, target="book")
    _ready(qtbot, window)
    assert window.files.open_path(path)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.generate_action.trigger()
    assert window.files.path == path and window.files.index == 3
    assert window.files.save()
    saved = path.read_bytes().decode("latin-1")
    assert saved.startswith(BOOK)
    book = TuneBook.parse(saved)
    assert len(book) == 4 and TUNE_BODY.split("\n")[0] in strip_chords(book.tune_text(3))
    assert len({t.number for t in book.tunes}) == 4  # the new tune got its own X: number


def test_book_saves_back_byte_for_byte_except_the_edited_tune(qtbot, make_window, tmp_path):
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path)
    assert window.files.open_path(path)
    assert window.tune_list.visible_indices() == [0, 1, 2]
    assert window.left_tabs.currentWidget() is window.tune_list
    window.tune_list.tree.setCurrentItem(
        window.tune_list.tree.topLevelItem(1)
    )  # the user picks Westport
    assert window.files.index == 1
    assert window.editor.toPlainText().startswith("X:2\nT:Westport")
    assert "Westport" in window.windowTitle() and "book.abc" in window.windowTitle()
    text = window.editor.toPlainText().replace("fagf:|", "faga:|")
    window.editor.replace_all_undoable(text)
    window.tune_list.tree.setCurrentItem(
        window.tune_list.tree.topLevelItem(0)
    )  # on to another tune
    assert window.isWindowModified()
    assert window.files.save()
    expected = BOOK.replace("fagf:|", "faga:|").encode("latin-1")
    assert path.read_bytes() == expected
    assert not window.isWindowModified()


def test_book_add_duplicate_delete_and_reorder(qtbot, make_window, tmp_path, monkeypatch):
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path)
    assert window.files.open_path(path)
    panel = window.tune_list
    panel.add_button.click()
    assert window.files.index == 3 and window.editor.toPlainText().startswith("X:4\n")
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    panel.duplicate_button.click()
    assert [panel.tree.topLevelItem(r).text(1) for r in range(5)] == [
        "Bucks",
        "Bucks",
        "Westport",
        "Heart",
        "New tune",
    ]
    panel.down_button.click()  # the copy (selected) moves below Westport
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(3))
    panel.delete_button.click()  # Heart goes
    assert window.files.save()
    saved = TuneBook.parse(path.read_bytes().decode("latin-1"))
    assert [t.title for t in saved.tunes] == ["Bucks", "Westport", "Bucks", "New tune"]
    assert [t.number for t in saved.tunes] == [1, 2, 5, 4]
    assert saved.tune_text(1) == TuneBook.parse(BOOK).tune_text(1)


def test_tune_list_searches_titles_and_melodies(qtbot, make_window, tmp_path) -> None:
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path)
    assert window.files.open_path(path)
    panel = window.tune_list
    panel.title_search.setText("west")
    assert panel.visible_indices() == [1]
    panel.title_search.clear()
    # "BGFD" (Heart, G minor: Bb G F D) falls -3 -2 -3; "dBA^F" (in C) has the same steps.
    panel.melody_search.setText("dBA^F")
    assert panel.visible_indices() == [2]
    panel.melody_search.setText("C")
    assert "at least two notes" in panel.search_message.text()


def test_pasted_tunes_stay_tunes_and_the_score_follows_the_cursor(qtbot, make_window, tmp_path):
    window = _window(make_window, tmp_path)
    second = TUNE.replace("X:1\nT:Kesh", "X:2\nT:Second").replace("d2e", "g2e")
    window.editor.insertPlainText(TUNE + "\n" + second)
    with qtbot.waitSignal(window.files.book_changed, timeout=5_000):
        pass
    assert [t.title for t in window.tune_list.book.tunes] == ["Kesh", "Second"]
    window.editor.move_cursor_to(TUNE.count("\n") + 4, 1)  # inside the second tune
    window.score.refresh_now()
    sent = window.score._last_text
    assert "T:Second" in sent and "T:Kesh" not in sent
    assert sent.count("\n", 0, sent.index("X:2")) == TUNE.count("\n") + 1  # lines kept
    window.tune_list.tree.setCurrentItem(window.tune_list.tree.topLevelItem(1))
    assert window.editor.toPlainText() == second
    assert [t.title for t in window.files.current_book().tunes] == ["Kesh", "Second"]
    window.files._book_dirty = False
    window.editor.document().setModified(False)


def test_autosave_restores_the_whole_book_at_the_edited_tune(qtbot, make_window, tmp_path):
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path)
    assert window.files.open_path(path)
    window.files.select_tune(2)
    window.editor.replace_all_undoable(window.editor.toPlainText().replace("GABc", "GABd"))
    window.files.autosave_now()
    autosave = window.files.autosave_path
    window.files._set_document("", None)  # as after a crash: the window starts empty
    window.files.restore(autosave)
    assert window.files.path == path and window.files.index == 2
    assert "GABd" in window.editor.toPlainText() and window.isWindowModified()
    assert window.files.save()
    assert path.read_bytes() == BOOK.replace("GABc", "GABd").encode("latin-1")


def test_panel_follows_the_header_and_edits_it_undoably(qtbot, make_window, tmp_path) -> None:
    named = tmp_path / "kesh.abc"
    named.write_text(TUNE.replace("M:6/8\n", "M:6/8\nR:jig\n"), encoding="utf-8")
    window = _window(make_window, tmp_path)
    assert window.files.open_path(named)
    window.header.sync_panel()
    panel = window.panel
    assert panel.title_edit.text() == "Kesh" and panel.tonic_combo.currentText() == "G"
    assert panel.meter_combo.currentText() == "6/8" and panel.genre_combo.currentText() == "jig"
    assert window.windowTitle().startswith("Kesh — kesh.abc")
    text = window.editor.toPlainText()
    window.editor.replace_all_undoable(
        text.replace("K:G", "K:Ador").replace("T:Kesh", "T:Kesh Jig")
    )
    with qtbot.waitSignal(window.header.synced, timeout=5_000):
        pass
    assert panel.tonic_combo.currentText() == "A" and panel.mode_combo.currentText() == "dorian"
    assert panel.title_edit.text() == "Kesh Jig"
    before = window.editor.toPlainText()
    panel.tonic_combo.setCurrentText("E")
    panel.mode_combo.setCurrentText("minor")
    panel.mode_combo.activated.emit(panel.mode_combo.currentIndex())
    assert "\nK:Em\n" in window.editor.toPlainText()
    panel.title_edit.setFocus()
    panel.title_edit.selectAll()
    qtbot.keyClicks(panel.title_edit, "The Kesh")
    assert "\nT:The Kesh\n" in window.editor.toPlainText()
    panel.meter_combo.setCurrentText("9/8")
    panel.meter_combo.activated.emit(panel.meter_combo.currentIndex())
    assert "\nM:9/8\n" in window.editor.toPlainText()
    while window.editor.toPlainText() != before and window.editor.document().isUndoAvailable():
        window.editor.undo()
    assert window.editor.toPlainText() == before
    window.editor.document().setModified(False)


def test_help_menu_pages(qtbot, make_window, tmp_path) -> None:
    window = _window(make_window, tmp_path)
    assert set(window.help_actions) == {"shortcuts", "abc", "about"}
    shortcuts = window.show_help("shortcuts")
    assert "Generate" in shortcuts.browser.toPlainText()
    assert "Save" in shortcuts.browser.toPlainText()
    abc = window.show_help("abc")
    assert "K:" in abc.browser.toPlainText() and "|:" in abc.browser.toPlainText()
    about = window.show_help("about")
    text = about.browser.toPlainText()
    assert "non-commercial" in text and "Essen" in text and "Composeium Desktop" in text
    for dialog in (shortcuts, abc, about):
        dialog.close()


def test_settings_dialog_offers_where_generated_tunes_go(qtbot) -> None:
    from composeium_desktop.gui.widgets.dialogs import SettingsDialog
    from composeium_desktop.gui.widgets.metadata_panel import FormChoices

    dialog = SettingsDialog(AppSettings(generated_tunes="book"), [], FormChoices())
    qtbot.addWidget(dialog)
    assert dialog.generated_combo.currentData() == "book"
    dialog.generated_combo.setCurrentIndex(dialog.generated_combo.findData("new"))
    assert dialog.result_settings() == dataclasses.replace(
        AppSettings(generated_tunes="new"), defaults=dialog.result_settings().defaults
    )


@pytest.mark.parametrize("kind", ["midi", "wav"])
def test_export_every_tune_of_the_book(qtbot, make_window, tmp_path, kind) -> None:
    exports: list = []
    window = make_window(fake_services(exports=exports))
    path = _write_book(tmp_path)
    assert window.files.open_path(path)
    export_kind = next(k for k in EXPORT_KINDS if k.key == kind)
    out = tmp_path / "out"
    out.mkdir()
    tasks = window.files.export_book(export_kind, out)
    qtbot.waitUntil(lambda: len(exports) == 3, timeout=10_000)
    assert len(tasks) == 3
    names = sorted(p.name for p in out.iterdir())
    suffix = export_kind.suffix
    assert names == [f"01-Bucks{suffix}", f"02-Westport{suffix}", f"03-Heart{suffix}"]
    assert "T:Heart" in (out / f"03-Heart{suffix}").read_text(encoding="utf-8")
    assert "T:Bucks" not in (out / f"03-Heart{suffix}").read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: not window.files.exports.pending, timeout=10_000)


def test_export_the_book_as_one_pdf(qtbot, make_window, tmp_path) -> None:
    exports: list = []
    window = make_window(fake_services(exports=exports))
    path = _write_book(tmp_path)
    assert window.files.open_path(path)
    window.files.select_tune(1)
    window.editor.replace_all_undoable(window.editor.toPlainText().replace("T:Westport", "T:West"))
    window.files.export_book(next(k for k in EXPORT_KINDS if k.key == "pdf"), tmp_path)
    qtbot.waitUntil(lambda: len(exports) == 1, timeout=10_000)
    kind, target, _options = exports[0]
    assert kind == "pdf_book" and target == tmp_path / "book.pdf"
    sent = target.read_bytes().decode("utf-8").split("\n", 1)[1]
    assert sent == BOOK.replace("T:Westport", "T:West")  # the whole book, with the edit
    qtbot.waitUntil(lambda: not window.files.exports.pending, timeout=10_000)
    window.files._book_dirty = False
    window.editor.document().setModified(False)


def test_regenerating_an_untouched_generated_tune_needs_no_prompt(qtbot, make_window, tmp_path):
    window = _window(make_window, tmp_path, target="new")
    _ready(qtbot, window)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.generate_action.trigger()
    first = window.editor.toPlainText()
    window.panel.title_edit.setText("Second Go")
    with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
        window.generate_action.trigger()  # no dialog: conftest fails on any unexpected one
    assert "T:Second Go" in window.editor.toPlainText()
    window.editor.undo()
    assert window.editor.toPlainText() == first  # the first tune is one Undo away
    window.editor.document().setModified(False)


@pytest.mark.parametrize("answer", ["New document", "Add to", "Cancel"])
def test_generate_asks_where_the_tune_goes_when_a_file_is_open(
    qtbot, make_window, tmp_path, monkeypatch, answer
) -> None:
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path, target="ask")
    _ready(qtbot, window)
    assert window.files.open_path(path)
    prompts: list[str] = []

    def choose(box: QMessageBox) -> int:
        prompts.append(box.text())
        button = next(b for b in box.buttons() if b.text().replace("&", "").startswith(answer))
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose)
    if answer == "Cancel":
        window.generate_action.trigger()
        assert not window.compose.busy and window.files.index == 0
        assert window.editor.toPlainText().startswith("X:1\nT:Bucks")
    else:
        with qtbot.waitSignal(window.compose.tune_finished, timeout=10_000):
            window.generate_action.trigger()
    assert prompts and "Bucks" in prompts[0] and "book.abc" in prompts[0]
    if answer == "New document":
        assert window.files.path is None and window.files.book is None
    elif answer == "Add to":
        assert window.files.path == path and len(window.files.current_book()) == 4
        window.files._book_dirty = False
    window.editor.document().setModified(False)
    assert path.read_bytes() == BOOK.encode("latin-1")  # nothing written over the book


def test_reordering_pasted_tunes_makes_them_a_book(qtbot, make_window, tmp_path) -> None:
    window = _window(make_window, tmp_path)
    tunes = [TUNE.replace("X:1\nT:Kesh", f"X:{n}\nT:Tune {n}") for n in (1, 2, 3)]
    window.editor.setPlainText("\n".join(tunes))
    window.editor.document().setModified(True)
    window.files.move_tune(2, 0)
    assert window.files.index == 0 and window.editor.toPlainText() == tunes[2]
    order = [t.title for t in window.files.current_book().tunes]
    assert order == ["Tune 3", "Tune 1", "Tune 2"]
    assert [panel_row.text(1) for panel_row in _rows(window)] == order
    target = tmp_path / "pasted.abc"
    window.files.path = target
    assert window.files.save()
    assert [t.title for t in TuneBook.parse(target.read_text(encoding="utf-8")).tunes] == order


def test_the_book_waits_while_a_tune_is_composed(qtbot, make_window, tmp_path) -> None:
    path = _write_book(tmp_path)
    window = _window(make_window, tmp_path)
    assert window.files.open_path(path)
    window.editor.setReadOnly(True)  # as while composing
    with qtbot.waitSignal(window.files.status) as said:
        window.tune_list.tree.setCurrentItem(window.tune_list.tree.topLevelItem(2))
    assert "Stop composing first" in said.args[0]
    assert window.files.index == 0 and window.editor.toPlainText().startswith("X:1\nT:Bucks")
    assert window.tune_list.selected_index() == 0  # the list went back to the tune edited
    window.editor.setReadOnly(False)


def _rows(window) -> list:
    tree = window.tune_list.tree
    return [tree.topLevelItem(r) for r in range(tree.topLevelItemCount())]
