"""The engraved SVG as Qt shows it: every kind of element puts ink where it belongs.

Verovio's own SVG renders blank in QtSvg (nested <svg> is skipped); the flattened pages from
core.render must show notes, clefs, key and time signatures, title, chord symbols and lyrics.
The check renders through QSvgRenderer into a QImage and counts dark pixels inside each
element's bounds, so a missing element (or a blank page) fails it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from composeium_desktop.core.render import Renderer

JIG = (Path(__file__).resolve().parents[1] / "data" / "test_jig.abc").read_text()
SCALE = 2.0


def _paint(svg: str) -> tuple[QSvgRenderer, np.ndarray]:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    size = renderer.defaultSize()
    image = QImage(int(size.width() * SCALE), int(size.height() * SCALE), QImage.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    bits = np.frombuffer(image.constBits(), dtype=np.uint8)
    pixels = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    dark = pixels.reshape(image.height(), image.width(), 4)[:, :, :3].max(axis=2) < 128
    return renderer, dark


def _ink_in(renderer: QSvgRenderer, dark: np.ndarray, element_id: str) -> int:
    box: QRectF = renderer.transformForElement(element_id).mapRect(
        renderer.boundsOnElement(element_id)
    )
    view = renderer.viewBoxF()
    sx = dark.shape[1] / view.width()
    sy = dark.shape[0] / view.height()
    x0, x1 = int(box.left() * sx) - 2, int(box.right() * sx) + 3
    y0, y1 = int(box.top() * sy) - 2, int(box.bottom() * sy) + 3
    return int(dark[max(0, y0) : y1, max(0, x0) : x1].sum())


@pytest.fixture(scope="module")
def page() -> str:
    with Renderer() as renderer:
        return renderer.render(JIG).pages[0]


@pytest.mark.parametrize(
    "kind", ["note", "clef", "keySig", "meterSig", "pgHead", "harm", "syl", "barLine", "ending"]
)
def test_every_kind_of_element_is_inked_in_qt(qapp, page, kind):
    renderer, dark = _paint(page)
    # Empty groups (`<g ... />`, e.g. an invisible bar line) have nothing to draw.
    ids = re.findall(rf'<g id="([^"]+)" class="{kind}\b[^"]*">', page)
    assert ids, f"no {kind} in the page"
    inked = [i for i in ids if _ink_in(renderer, dark, i) >= 4]
    assert len(inked) == len(ids), f"{kind}: {len(ids) - len(inked)} of {len(ids)} not drawn"


def test_the_whole_page_has_ink_and_verovio_raw_svg_would_not(qapp, page):
    import verovio

    _, dark = _paint(page)
    assert dark.mean() > 0.01
    toolkit = verovio.toolkit()
    toolkit.setOptions({"inputFrom": "abc", "adjustPageHeight": True})
    toolkit.loadData(JIG)
    _, raw_dark = _paint(toolkit.renderToSVG(1))
    assert raw_dark.sum() == 0
