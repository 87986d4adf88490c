"""The window over the real core: a tiny random model generates, Verovio engraves, the notation
core validates, and each export writes a real file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from composeium_desktop.gui.controllers.export import EXPORT_KINDS

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TUNE = (EXAMPLES / "bucks-of-oranmore.abc").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def window(make_window):
    return make_window()


def _load_model(qtbot, window, model_dir: Path) -> None:
    window.start_background_work(model_dir, offer_restore=False)
    qtbot.waitUntil(lambda: window.compose.generation.model_state == "ready", timeout=120_000)


def test_window_shows_before_tensorflow_is_imported() -> None:
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from composeium_desktop.gui.main_window import MainWindow\n"
        "from composeium_desktop.gui.settings import AppSettings\n"
        "w = MainWindow(AppSettings()); w.show(); app.processEvents()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'verovio') if m in sys.modules))\n"
        "w.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_generate_with_tiny_model_streams_into_editor_and_score(
    qtbot, window, tiny_model_dir
) -> None:
    _load_model(qtbot, window, tiny_model_dir)
    window.panel.new_seed_check.setChecked(False)
    window.panel.seed_spin.setValue(3)
    window.panel.length_spin.setValue(96)
    steps, texts = [], []
    window.compose.generation.step.connect(steps.append)
    window.compose.generation.step.connect(lambda _s: texts.append(window.editor.toPlainText()))
    with qtbot.waitSignal(window.compose.tune_finished, timeout=120_000) as finished:
        qtbot.keyClick(
            window.panel.title_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
        )
    assert len(steps) > 5
    assert len({len(t) for t in texts}) > 3, "the editor did not grow while tokens streamed"
    abc = finished.args[0]
    assert re.search(r"(?m)^K:D$", abc) and abc.startswith("X:1\nT:Untitled\n")
    assert window.editor.toPlainText() == abc
    qtbot.waitUntil(
        lambda: window.score.result is not None and window.score_view.has_score(), timeout=60_000
    )
    assert window.score.result.timemap


@pytest.mark.slow
def test_stop_cancels_generation_at_once(qtbot, window, tiny_model_dir) -> None:
    _load_model(qtbot, window, tiny_model_dir)
    window.panel.length_spin.setValue(1024)
    steps: list = []

    def on_step(step) -> None:
        steps.append(step)
        if len(steps) == 3:
            window.panel.stop_button.click()

    ended: list[int] = []
    window.compose.generation.step.connect(on_step)
    window.compose.generation.job_ended.connect(ended.append)
    window.compose.generate()
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=60_000)
    assert not window.compose.busy and not window.editor.isReadOnly()
    text = window.editor.toPlainText()
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    assert len(steps) == 3
    assert window.editor.toPlainText() == text


def test_edit_re_renders_and_malformed_edit_is_marked(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    qtbot.waitUntil(window.score_view.has_score, timeout=60_000)
    before = len(window.score.result.positions)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(window.editor, "ABcd efga|]")
    qtbot.waitUntil(lambda: len(window.score.result.positions) == before + 8, timeout=30_000)
    with qtbot.waitSignal(window.score.render_failed, timeout=30_000):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return)
        qtbot.keyClicks(window.editor, "(3ab [c")
    errors = window.editor.errors
    last_line = window.editor.blockCount()
    assert any(e.line == last_line for e in errors), errors
    assert window.score_view.has_score()
    window.editor.undo()
    with qtbot.waitSignal(window.score.rendered, timeout=30_000):
        window.score.refresh_now()


MAGIC = {
    "wav": b"RIFF",
    "midi": b"MThd",
    "pdf": b"%PDF",
    "musicxml": b"<?xml",
    "svg": b"<",
    "abc": b"%",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", EXPORT_KINDS, ids=lambda k: k.key)
def test_each_export_writes_a_real_file(qtbot, window, tmp_path, monkeypatch, kind) -> None:
    window.editor.setPlainText(TUNE)
    target = tmp_path / f"tune{kind.suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.files.export_finished, timeout=120_000):
        window.export_actions[kind.key].trigger()
    data = target.read_bytes()
    assert data.startswith(MAGIC[kind.key]), data[:40]
    if kind.key == "svg":
        assert b"<svg" in data[:500]
    assert window.last_error == ""


def test_transpose_rewrites_key_and_notes_as_one_undo_step(qtbot, window) -> None:
    window.editor.setPlainText(TUNE)
    window.files.transpose_by(2)
    text = window.editor.toPlainText()
    assert re.search(r"(?m)^K:\s*E$", text), text[:300]
    assert text != TUNE
    window.editor.undo()
    assert window.editor.toPlainText() == TUNE


def test_open_tune_book_lists_its_tunes(qtbot, window) -> None:
    assert window.files.open_path(EXAMPLES / "oneills-reels.abc")
    panel = window.tune_list
    rows = [panel.tree.topLevelItem(r) for r in range(panel.tree.topLevelItemCount())]
    assert len(rows) == 3 and rows[0].text(1) == "The Bucks of Oranmore"
    assert [rows[0].text(2), rows[1].text(2), rows[2].text(2)] == ["D", "F", "Gm"]
    panel.tree.setCurrentItem(rows[2])
    assert "The Girl Who Broke My Heart" in window.editor.toPlainText()
    qtbot.waitUntil(window.score_view.has_score, timeout=60_000)


@pytest.mark.slow
def test_mutated_tunes_never_take_the_window_down(qtbot, window) -> None:
    import random

    rng = random.Random(7)
    alphabet = "|:[]()!{}\"^_=,'/<>-~.0123456789abcgzABCGxyK: \n%&"
    for _ in range(25):
        chars = list(TUNE)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                chars.insert(position, rng.choice(alphabet))
            elif action < 0.7:
                chars[position] = rng.choice(alphabet)
            else:
                del chars[position]
        outcome: list[str] = []
        window.score.rendered.connect(lambda _r, o=outcome: o.append("ok"))
        window.score.render_failed.connect(lambda _m, o=outcome: o.append("error"))
        window.editor.setPlainText("".join(chars))
        window.score.refresh_now()
        qtbot.waitUntil(lambda o=outcome: bool(o), timeout=60_000)
    window.editor.setPlainText(TUNE)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.score.refresh_now()
    assert window.score_view.has_score()


@pytest.mark.slow
def test_continue_from_cursor_keeps_the_tune_up_to_the_cursor(
    qtbot, window, tiny_model_dir
) -> None:
    _load_model(qtbot, window, tiny_model_dir)
    window.editor.setPlainText(TUNE)
    body_line = TUNE.splitlines().index("K:D") + 2
    window.editor.move_cursor_to(body_line, 20)
    kept = window.editor.toPlainText()[: window.editor.textCursor().position()]
    window.panel.length_spin.setValue(64)
    with qtbot.waitSignal(window.compose.tune_finished, timeout=120_000):
        window.panel.continue_button.click()
    text = window.editor.toPlainText()
    assert text.startswith(kept[: kept.index("K:D")]), text[:400]
    assert "T: The Bucks of Oranmore" in text
    assert window.last_error == ""
