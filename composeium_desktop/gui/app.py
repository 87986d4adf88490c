"""Application start-up: QApplication, the main window shown at once, background loading.

Composing never imports TensorFlow: the model's weights are read with h5py and decoded in NumPy,
on the generation thread, which starts loading them while the window is laid out and painted (the
engraver's process is already starting: `composeium gui` starts it before importing the window).
With --timing (or COMPOSEIUM_TIMING=1) the time from process launch to the window being shown,
and with --screenshot to the score on screen, is printed. With --screenshot the app saves an
image of its own window once the score is drawn and exits.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from composeium_desktop import paths
from composeium_desktop.core import fileio
from composeium_desktop.core.launch_clock import seconds_since_launch
from composeium_desktop.gui.main_window import MainWindow
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import (
    APPLICATION,
    ORGANIZATION,
    AppSettings,
    load_settings,
    save_settings,
)
from composeium_desktop.gui.workers import single_shot_timer

SCREENSHOT_TIMEOUT_MS = 180_000
SETTLE_MS = 400


@dataclass(frozen=True)
class LaunchOptions:
    """What the command line asked for."""

    file: Path | None = None
    screenshot: Path | None = None
    generate: bool = False
    title: str | None = None
    model_dir: Path | None = None
    timing: bool = False
    # A core Renderer already starting its worker (commands.gui starts one before the window's
    # imports); None: the render thread starts one.
    renderer: Any = None


class ScreenshotTaker(QObject):
    """Waits for a drawn score (and a finished tune when generating), grabs the window, quits."""

    def __init__(
        self, window: MainWindow, target: Path, wait_for_tune: bool, timing: bool = False
    ) -> None:
        super().__init__(window)
        self._window = window
        self._target = target
        self._waiting_for_tune = wait_for_tune
        self._timing = timing
        self._on_screen_reported = False
        self.exit_code = 1
        window.score.rendered.connect(self._on_rendered)
        window.compose.tune_finished.connect(self._on_tune_finished)
        window.compose.error.connect(self._fail)
        self._timeout = single_shot_timer(self, SCREENSHOT_TIMEOUT_MS)
        self._timeout.timeout.connect(lambda: self._fail("timed out waiting for the score"))
        self._timeout.start()
        self._settle = single_shot_timer(self, SETTLE_MS)
        self._settle.timeout.connect(self._shoot)

    def _on_tune_finished(self, _abc: str) -> None:
        self._waiting_for_tune = False

    def _on_rendered(self, _result: object) -> None:
        if not self._waiting_for_tune and self._window.score_view.has_score():
            if self._timing and not self._on_screen_reported:
                self._on_screen_reported = True
                wall, cpu = seconds_since_launch()
                print(f"score on screen {wall:.3f} s after launch (CPU {cpu:.3f} s)", flush=True)
            self._settle.start()

    def _shoot(self) -> None:
        if self._window.compose.busy or not self._window.score_view.has_score():
            return
        self._target.parent.mkdir(parents=True, exist_ok=True)
        image = self._window.grab()
        suffix = self._target.suffix or ".png"
        try:
            with fileio.atomic_path(self._target, suffix=suffix) as tmp:
                if not image.save(str(tmp)):
                    raise OSError(f"Qt could not write a {suffix} image")
        except OSError as exc:
            print(f"composeium gui: cannot write {self._target}: {exc}", file=sys.stderr)
        else:
            print(f"screenshot saved to {self._target}")
            self.exit_code = 0
        self._finish()

    def _fail(self, message: str) -> None:
        print(f"composeium gui: screenshot failed: {message}", file=sys.stderr)
        self._finish()

    def _finish(self) -> None:
        self._timeout.stop()
        self._settle.stop()
        self._window.shutdown()
        self._window.close()
        QApplication.exit(self.exit_code)


def create_application() -> QApplication:
    existing = QApplication.instance()
    if existing is None:
        app = QApplication(sys.argv[:1])
    elif isinstance(existing, QApplication):
        app = existing
    else:
        raise RuntimeError(f"the window needs a QApplication, but a {type(existing).__name__} runs")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("composeium-desktop")
    return app


def run_app(options: LaunchOptions) -> int:
    """Start the app; returns the process exit code."""
    app = create_application()
    headless_shot = options.screenshot is not None
    # A screenshot run asks nothing: a generated tune goes to a new document.
    settings = AppSettings(generated_tunes="new") if headless_shot else load_settings()
    renderer = options.renderer
    services = None if renderer is None else CoreServices(make_renderer=lambda: renderer)
    window = MainWindow(settings, services, store_settings=None if headless_shot else save_settings)
    if options.title:
        window.panel.title_edit.setText(options.title)
    if headless_shot:
        window.files.discard_autosave()
    shooter = (
        ScreenshotTaker(
            window, options.screenshot, wait_for_tune=options.generate, timing=options.timing
        )
        if options.screenshot is not None
        else None
    )
    # The model starts loading on its own thread while the window is laid out and painted.
    window.start_background_work(options.model_dir or paths.model_dir(), not headless_shot)
    window.show()

    def after_shown() -> None:
        if options.timing:
            wall, cpu = seconds_since_launch()
            print(f"window shown {wall:.3f} s after launch (CPU {cpu:.3f} s)", flush=True)
        if options.file is not None:
            window.files.open_path(options.file, ask=False, tune_index=0 if headless_shot else None)
        if options.generate:
            window.compose.generate()

    QTimer.singleShot(0, after_shown)
    code = app.exec()
    window.shutdown()
    if not headless_shot:
        save_settings(window.settings)
    if shooter is not None:
        code = shooter.exit_code
    return code
