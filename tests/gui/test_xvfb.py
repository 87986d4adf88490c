"""A real window on a real X server: `composeium-desktop FILE --screenshot PNG` under Xvfb
draws engraved notation in the score area of its own window image."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = pytest.mark.xvfb

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "bucks-of-oranmore.abc"


def _free_display() -> int:
    for number in range(91, 200):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    assert shutil.which("Xvfb"), "Xvfb is missing: scripts/setup.sh installs it"
    number = _free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 30
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"Xvfb :{number} did not start")
        time.sleep(0.05)  # polling for the server's socket, not waiting for the app
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _desktop_command() -> list[str]:
    script = Path(sys.executable).with_name("composeium-desktop")
    if script.exists():
        return [str(script)]
    return [
        sys.executable,
        "-c",
        "import sys; from composeium_desktop.cli import gui_main; sys.exit(gui_main())",
    ]


def _dark_fraction(image: QImage, left: float, top: float, right: float, bottom: float) -> float:
    x0, x1 = int(image.width() * left), int(image.width() * right)
    y0, y1 = int(image.height() * top), int(image.height() * bottom)
    dark = total = 0
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            total += 1
            if image.pixelColor(x, y).lightness() < 90:
                dark += 1
    return dark / total


def test_real_window_screenshot_shows_engraved_notes(xvfb_display: str, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="xcb",
        DISPLAY=xvfb_display,
        COMPOSEIUM_DATA_DIR=str(tmp_path / "data"),
        COMPOSEIUM_TIMING="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    result = subprocess.run(
        [*_desktop_command(), str(EXAMPLE), "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "window shown" in result.stdout
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 800
    score = _dark_fraction(image, 0.58, 0.15, 0.97, 0.60)
    assert 0.01 < score < 0.5, f"score area dark fraction {score:.3f}"


BOOK = ROOT / "resources" / "examples" / "oneills-reels.abc"


def _dark_bands(image: QImage, left: float, right: float, top: float, bottom: float) -> int:
    """How many separate horizontal bands of dark pixels (lines of text) the region holds."""
    x0, x1 = int(image.width() * left), int(image.width() * right)
    y0, y1 = int(image.height() * top), int(image.height() * bottom)
    bands, inside = 0, False
    for y in range(y0, y1):
        dark = any(image.pixelColor(x, y).lightness() < 90 for x in range(x0, x1, 2))
        if dark and not inside:
            bands += 1
        inside = dark
    return bands


def test_real_window_shows_the_book_pane_for_a_tune_book(xvfb_display: str, tmp_path: Path) -> None:
    shot = tmp_path / "book.png"
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="xcb",
        DISPLAY=xvfb_display,
        COMPOSEIUM_DATA_DIR=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    result = subprocess.run(
        [*_desktop_command(), str(BOOK), "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 800
    # The left column is the tune list: a header and the book's three tunes (the first one
    # selected, light text on the highlight), then empty list below them.
    rows = _dark_bands(image, 0.01, 0.18, 0.19, 0.29)
    assert rows >= 3, f"{rows} text rows in the tune list"
    assert _dark_fraction(image, 0.01, 0.30, 0.18, 0.80) < 0.002
    assert 0.01 < _dark_fraction(image, 0.58, 0.15, 0.97, 0.60) < 0.5  # the first tune engraved
