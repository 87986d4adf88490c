"""The score fits the view: Verovio lays the staves out to the view's width at the chosen zoom,
so a wider window gives wider staves (measured on the drawn view), zooming re-flows them
instead of scaling them off the side, and the clef stays in sight."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from gui_fakes import fake_services
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage

from composeium_desktop.gui.controllers.score import layout_options
from composeium_desktop.gui.services import CoreServices

STAFF_GREY = 170  # staff lines are thin and anti-aliased; the sheet's border is lighter
REEL = Path(__file__).resolve().parents[2] / "resources" / "examples" / "bucks-of-oranmore.abc"


def _dark(image: QImage, threshold: int = 100) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    bits = np.frombuffer(image.constBits(), dtype=np.uint8)
    pixels = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    return pixels.reshape(image.height(), image.width(), 4)[:, :, :3].max(axis=2) < threshold


def _staff_lines(dark: np.ndarray) -> tuple[int, int, int]:
    """(leftmost x, rightmost x, number of rows) of the staff lines: rows that are dark over
    more than half the image's width."""
    rows = np.flatnonzero(dark.sum(axis=1) > dark.shape[1] * 0.5)
    assert rows.size, "no staff line drawn"
    columns = np.flatnonzero(dark[rows].any(axis=0))
    return int(columns.min()), int(columns.max()), int(rows.size)


def _settled(qtbot, window) -> np.ndarray:
    """The drawn view once the pages on show were laid out for its present size."""
    view = window.score_view

    def laid_out() -> bool:
        return view._laid_out_for == view.page_size() and not view._relayout.isActive()

    qtbot.waitUntil(laid_out, timeout=60_000)
    return _dark(view.viewport().grab().toImage(), STAFF_GREY)


@pytest.fixture
def window(make_window):
    real = CoreServices()
    services = dataclasses.replace(
        fake_services(), make_renderer=real.make_renderer, render_options=real.render_options
    )
    return make_window(services)


def test_layout_options_fill_the_page_width_at_the_zoom() -> None:
    assert layout_options(800, 600, 100) == {"zoom": 40, "page_width": 2000, "page_height": 1500}
    assert layout_options(800, 600, 200)["page_width"] == 1000  # bigger notes, fewer per line


def test_staves_reflow_to_the_window_width_with_the_clef_in_sight(qtbot, window) -> None:
    window.resize(900, 700)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(REEL.read_text(encoding="utf-8"))
    narrow = _settled(qtbot, window)
    narrow_systems = _systems(window)
    narrow_width = window.score_view.page_size().width()
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.resize(1600, 900)
    wide = _settled(qtbot, window)
    wide_systems = _systems(window)
    wide_width = window.score_view.page_size().width()
    assert wide_width > narrow_width * 1.5
    for dark, width in ((narrow, narrow_width), (wide, wide_width)):
        left, right, _ = _staff_lines(dark)
        # The staves span the page (less its margins) and the page the view (less the gap
        # around it): laid out for the width and drawn 1:1, not shrunk.
        assert 0.8 * width < right - left <= width, (left, right, width)
        assert right < window.score_view.viewport().width()
    assert window.score_view.transform().isIdentity()
    # More fits on a wider line: the wide layout needs fewer systems.
    assert wide_systems < narrow_systems
    _assert_clef_visible(window)


def test_zoom_reflows_instead_of_hiding_the_clef(qtbot, window) -> None:
    window.resize(1000, 700)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(REEL.read_text(encoding="utf-8"))
    _settled(qtbot, window)
    systems_before = _systems(window)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.zoom_in_action.trigger()
        window.zoom_in_action.trigger()
    assert window.score_view.zoom == 120
    assert window.zoom_label.text() == "120%"
    assert window.score_view.transform().isIdentity()
    after = _staff_lines(_settled(qtbot, window))
    width = window.score_view.page_size().width()
    assert after[1] < window.score_view.viewport().width()
    assert 0.8 * width < after[1] - after[0] <= width
    assert window.score_view.horizontalScrollBar().maximum() == 0
    _assert_clef_visible(window)
    assert _systems(window) > systems_before  # bigger notes, fewer bars per line


def test_the_playing_note_is_scrolled_into_view(qtbot, window) -> None:
    window.resize(900, 600)
    with qtbot.waitSignal(window.score.rendered, timeout=60_000):
        window.editor.setPlainText(REEL.read_text(encoding="utf-8"))
    _settled(qtbot, window)
    view = window.score_view
    assert view.verticalScrollBar().value() == 0
    last = window.score.result.timemap[-1].id
    view.highlight_playing_note(last)
    rect = view.mapFromScene(view.element_rect(last)).boundingRect()
    assert view.verticalScrollBar().value() > 0
    assert view.viewport().rect().contains(rect)


def _assert_clef_visible(window) -> None:
    result = window.score.result
    clef = re.search(r'<g id="([^"]+)" class="clef', result.pages[0]).group(1)
    rect = window.score_view.element_rect(clef)
    assert rect is not None
    on_screen = window.score_view.mapFromScene(rect).boundingRect()
    viewport = QRect(
        0, 0, window.score_view.viewport().width(), window.score_view.viewport().height()
    )
    assert viewport.contains(on_screen), (on_screen, viewport)
    dark = _dark(window.score_view.viewport().grab().toImage())
    box = on_screen.intersected(viewport)
    assert dark[box.top() : box.bottom(), box.left() : box.right()].sum() > 20


def _systems(window) -> int:
    return sum(page.count('class="system"') for page in window.score.result.pages)
