"""GUI test set-up: offscreen Qt, an isolated user-data folder, and a window fixture that fails
the test when any worker thread, thread-pool job or timer is still running after the window
has closed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool, QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from composeium_desktop.gui.main_window import MainWindow  # noqa: E402
from composeium_desktop.gui.services import CoreServices  # noqa: E402
from composeium_desktop.gui.settings import AppSettings  # noqa: E402
from composeium_desktop.gui.workers import running_workers  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("COMPOSEIUM_DATA_DIR", str(tmp_path_factory.mktemp("user-data")))


@pytest.fixture(autouse=True)
def _no_unexpected_dialogs(monkeypatch) -> None:
    """A modal dialog nobody answers would hang the run: fail instead (tests patch what they expect)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected modal dialog: {args[1:3]}")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse)


@pytest.fixture(autouse=True)
def _no_leftover_workers() -> Iterator[None]:
    yield
    assert running_workers() == [], f"workers left running: {running_workers()}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[..., MainWindow]]:
    """Builds MainWindows; on teardown closes them and checks that nothing keeps running."""
    windows: list[MainWindow] = []

    def factory(
        services: CoreServices | None = None, settings: AppSettings | None = None, **options
    ) -> MainWindow:
        window = MainWindow(settings or AppSettings(), services, **options)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.editor.document().setModified(False)
        window.close()
        assert window.isHidden()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        timers = [
            f"{t.parent().metaObject().className()}.{t.objectName()}"
            for t in window.findChildren(QTimer)
            if t.isActive()
        ]
        assert timers == [], f"timers left running: {timers}"
        assert running_workers() == [], f"workers left running: {running_workers()}"
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
