"""The engraved score: SVG pages stacked vertically, zoom, note highlights and note clicks.

Pages are the Qt-displayable SVG strings of a core.render.RenderResult. A note's position on a
page comes from QSvgRenderer.boundsOnElement(id) (mapped through the element's transform and the
page's viewBox), so highlights are drawn as rectangles over the page rather than by editing SVG.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QGraphicsDropShadowEffect,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

PAGE_GAP = 24.0
MIN_ZOOM, MAX_ZOOM = 25, 400
CURSOR_COLOR = QColor(15, 98, 254, 70)
PLAYBACK_COLOR = QColor(255, 131, 43, 110)


class _Page:
    """One SVG page on a white sheet: its renderer, items and a cache of note rectangles."""

    def __init__(self, svg: str, top: float) -> None:
        self.renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        self.item = QGraphicsSvgItem()
        self.item.setSharedRenderer(self.renderer)
        self.item.setPos(0.0, top)
        self.item.setZValue(1)
        self.sheet = QGraphicsRectItem(self.item.mapRectToScene(self.item.boundingRect()))
        self.sheet.setBrush(QBrush(QColor("white")))
        self.sheet.setPen(QPen(QColor("#c6c6c6")))
        self.sheet.setZValue(0)
        shadow = QGraphicsDropShadowEffect()
        shadow.setBlurRadius(14)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 70))
        self.sheet.setGraphicsEffect(shadow)
        self._rects: dict[str, QRectF | None] = {}

    def height(self) -> float:
        return self.item.boundingRect().height()

    def element_rect(self, element_id: str) -> QRectF | None:
        """The element's rectangle in scene coordinates, or None when the page lacks it."""
        if element_id not in self._rects:
            self._rects[element_id] = self._compute_rect(element_id)
        return self._rects[element_id]

    def _compute_rect(self, element_id: str) -> QRectF | None:
        if not self.renderer.elementExists(element_id):
            return None
        bounds = self.renderer.boundsOnElement(element_id)
        bounds = self.renderer.transformForElement(element_id).mapRect(bounds)
        view_box = self.renderer.viewBoxF()
        size = self.item.boundingRect().size()
        if view_box.width() > 0 and view_box.height() > 0:
            sx = size.width() / view_box.width()
            sy = size.height() / view_box.height()
            bounds = QRectF(
                (bounds.left() - view_box.left()) * sx,
                (bounds.top() - view_box.top()) * sy,
                bounds.width() * sx,
                bounds.height() * sy,
            )
        if bounds.isEmpty() and bounds.width() <= 0 and bounds.height() <= 0:
            return None
        return self.item.mapRectToScene(bounds.adjusted(-3, -3, 3, 3))


class ScoreView(QGraphicsView):
    """Shows the pages of a rendered tune.

    note_clicked(element_id) fires when the user clicks an engraved element that has an id;
    zoom_changed(percent) whenever the zoom changes.
    """

    note_clicked = Signal(str)
    zoom_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setBackgroundBrush(QColor("#e0e0e0"))
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self._pages: list[_Page] = []
        self._page_of: dict[str, int] = {}
        self._zoom = 100
        self.auto_fit = True
        self._cursor_box = self._make_box(CURSOR_COLOR)
        self._playback_box = self._make_box(PLAYBACK_COLOR)

    @property
    def page_count(self) -> int:
        return len(self._pages)

    @property
    def zoom(self) -> int:
        return self._zoom

    def has_score(self) -> bool:
        return bool(self._pages)

    def set_pages(self, pages: tuple[str, ...], page_of: dict[str, int]) -> None:
        """Show new pages, keeping the scroll position and zoom."""
        scroll = self.verticalScrollBar().value()
        for page in self._pages:
            self.scene().removeItem(page.item)
            self.scene().removeItem(page.sheet)
        self._pages = []
        self._page_of = dict(page_of)
        top = 0.0
        width = 0.0
        for svg in pages:
            page = _Page(svg, top)
            self.scene().addItem(page.sheet)
            self.scene().addItem(page.item)
            self._pages.append(page)
            top += page.height() + PAGE_GAP
            width = max(width, page.item.boundingRect().width())
        self.scene().setSceneRect(
            QRectF(-PAGE_GAP, -PAGE_GAP, width + 2 * PAGE_GAP, top + PAGE_GAP)
        )
        self._cursor_box.hide()
        self._playback_box.hide()
        if self.auto_fit:
            self._fit()
        self.verticalScrollBar().setValue(scroll)

    def clear(self) -> None:
        self.set_pages((), {})

    def set_zoom(self, percent: int) -> None:
        """Zoom to `percent` and stop following the view's width."""
        self.auto_fit = False
        self._apply_zoom(percent)

    def _apply_zoom(self, percent: int) -> None:
        percent = max(MIN_ZOOM, min(MAX_ZOOM, int(percent)))
        if percent == self._zoom and not self.transform().isIdentity():
            return
        self._zoom = percent
        self.resetTransform()
        self.scale(percent / 100.0, percent / 100.0)
        self.zoom_changed.emit(percent)

    def fit_width(self) -> None:
        """Zoom so that a page fills the view's width, now and whenever the view resizes."""
        self.auto_fit = True
        self._fit()

    def _fit(self) -> None:
        if not self._pages:
            return
        width = self._pages[0].item.boundingRect().width() + 2 * PAGE_GAP
        available = self.viewport().width() - 4
        if available > 50:
            self._apply_zoom(int(100 * available / width))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.auto_fit:
            self._fit()

    def element_rect(self, element_id: str) -> QRectF | None:
        """Where `element_id` is drawn, in scene coordinates (None when it is not on any page)."""
        index = self._page_of.get(element_id)
        candidates = [index] if index is not None and index < len(self._pages) else []
        candidates += [i for i in range(len(self._pages)) if i not in candidates]
        for i in candidates:
            rect = self._pages[i].element_rect(element_id)
            if rect is not None:
                return rect
        return None

    def highlight_cursor_note(self, element_id: str | None) -> None:
        """Mark the note under the editor's cursor (None clears the mark)."""
        self._show_box(self._cursor_box, element_id, follow=False)

    def highlight_playing_note(self, element_id: str | None) -> None:
        """Mark the sounding note and scroll so that it stays visible."""
        self._show_box(self._playback_box, element_id, follow=True)

    def element_at(self, scene_pos: QPointF) -> str | None:
        """The id of the smallest engraved element with an id under `scene_pos`."""
        best: tuple[float, str] | None = None
        for element_id in self._page_of:
            rect = self.element_rect(element_id)
            if rect is not None and rect.contains(scene_pos):
                area = rect.width() * rect.height()
                if best is None or area < best[0]:
                    best = (area, element_id)
        return best[1] if best else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            element_id = self.element_at(self.mapToScene(event.position().toPoint()))
            if element_id:
                self.highlight_cursor_note(element_id)
                self.note_clicked.emit(element_id)
        super().mousePressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 10 if event.angleDelta().y() > 0 else -10
            self.auto_fit = False
            self.set_zoom(self._zoom + step)
            event.accept()
            return
        super().wheelEvent(event)

    def _make_box(self, color: QColor) -> QGraphicsRectItem:
        box = QGraphicsRectItem()
        box.setBrush(QBrush(color))
        box.setPen(QPen(Qt.PenStyle.NoPen))
        box.setZValue(10)
        box.hide()
        self.scene().addItem(box)
        return box

    def _show_box(self, box: QGraphicsRectItem, element_id: str | None, follow: bool) -> None:
        rect = self.element_rect(element_id) if element_id else None
        if rect is None:
            box.hide()
            return
        box.setRect(rect)
        box.show()
        if follow:
            self.ensureVisible(rect, 40, 80)
