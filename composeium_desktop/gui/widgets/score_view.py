"""The engraved score: SVG pages stacked vertically, zoom, note highlights and note clicks.

The score is laid out for the view: the view asks (layout_changed) for pages as wide as it is
at the chosen zoom, so a resize or a zoom re-flows the staves instead of scaling them, and the
clef stays in sight. Pages arrive drawn 1:1; between a zoom and its new pages the old pages are
scaled so that the zoom shows at once.

Pages are the Qt-displayable SVG strings of a core.render.RenderResult. A note's position on a
page comes from QSvgRenderer.boundsOnElement(id) (mapped through the element's transform and the
page's viewBox), so highlights are drawn as rectangles over the page rather than by editing SVG.
A loop is shown the same way: one tinted band per staff line behind its notes, under the
page's drawing (Qt's SVG is Tiny 1.2, which restyles nothing we could ask of it).

Clicks: a click on a note reports note_clicked, Shift+click note_extended (select up to it), a
double click note_activated (play from it); a drag draws a rubber band and reports the notes
inside it (notes_dragged), to select bars.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QByteArray, QPointF, QRect, QRectF, QSize, Qt, Signal
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

from composeium_desktop.gui.workers import single_shot_timer

PAGE_GAP = 24.0
MIN_ZOOM, MAX_ZOOM = 25, 400
CURSOR_COLOR = QColor(15, 98, 254, 70)
PLAYBACK_COLOR = QColor(255, 131, 43, 110)
LOOP_COLOR = QColor(36, 161, 72, 45)
LOOP_PAD = 4.0
MIN_BAND = 6.0  # a smaller drag is a click that wobbled
_GROUP_ID = re.compile(r'<g id="([^"]+)" class="([^"]+)"')
DEFAULT_ZOOM = 100
RESIZE_DEBOUNCE_MS = 150
MIN_PAGE_PX = 200


class _Page:
    """One SVG page on a white sheet: its renderer, items and a cache of note rectangles."""

    def __init__(self, svg: str, top: float) -> None:
        self.svg = svg
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
        self._staff_of: dict[str, str] | None = None

    def height(self) -> float:
        return self.item.boundingRect().height()

    def element_rect(self, element_id: str) -> QRectF | None:
        """The element's rectangle in scene coordinates, or None when the page lacks it."""
        if element_id not in self._rects:
            self._rects[element_id] = self._compute_rect(element_id)
        return self._rects[element_id]

    def staff_of(self, element_id: str) -> str | None:
        """The id of the measure's staff an element is drawn in (the SVG nests each note in
        its measure's staff, and writes them in that order)."""
        if self._staff_of is None:
            self._staff_of = {}
            staff = ""
            for element_id_found, kind in _GROUP_ID.findall(self.svg):
                if kind == "staff":
                    staff = element_id_found
                elif staff:
                    self._staff_of[element_id_found] = staff
        return self._staff_of.get(element_id)

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
    zoom_changed(percent) whenever the zoom changes; layout_changed() when the pages should be
    laid out again for page_size() at zoom (after a resize, debounced, or a zoom).
    """

    note_clicked = Signal(str)
    note_extended = Signal(str)
    note_activated = Signal(str)
    notes_dragged = Signal(object)  # tuple of the note and rest ids inside a rubber band
    zoom_changed = Signal(int)
    layout_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setBackgroundBrush(QColor("#e0e0e0"))
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemBoundingRect)
        self._band = QRectF()
        self.rubberBandChanged.connect(self._on_band)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self._pages: list[_Page] = []
        self._page_of: dict[str, int] = {}
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self._zoom = DEFAULT_ZOOM
        self._pages_zoom = DEFAULT_ZOOM
        self._laid_out_for = QSize()
        self.auto_fit = True
        self._relayout = single_shot_timer(self, RESIZE_DEBOUNCE_MS)
        self._relayout.setObjectName("score-relayout")
        self._relayout.timeout.connect(self._layout_if_resized)
        self._cursor_box = self._make_box(CURSOR_COLOR)
        self._playback_box = self._make_box(PLAYBACK_COLOR)
        self._loop_ids: tuple[str, ...] = ()
        # The notes and rests a click may pick (their stems and beams are smaller and would
        # win otherwise); empty: any element with an id.
        self.clickable: frozenset[str] = frozenset()
        self.loop_bands: list[QGraphicsRectItem] = []

    @property
    def zoom(self) -> int:
        return self._zoom

    def has_score(self) -> bool:
        return bool(self._pages)

    @property
    def shown_pages(self) -> tuple[str, ...]:
        """The SVG text of the pages on screen."""
        return tuple(page.svg for page in self._pages)

    def page_size(self) -> QSize:
        """The pixel size a page should have to fill the view's width without scrolling."""
        viewport = self.viewport().size()
        return QSize(
            max(MIN_PAGE_PX, viewport.width() - int(2 * PAGE_GAP) - 2),
            max(MIN_PAGE_PX, viewport.height() - int(2 * PAGE_GAP)),
        )

    def set_pages(
        self,
        pages: tuple[str, ...],
        page_of: dict[str, int],
        zoom: int | None = None,
        size: QSize | None = None,
    ) -> None:
        """Show new pages laid out at `zoom` for a page `size` (default: the current ones),
        keeping the vertical scroll position; the view scrolls back to the left edge, where
        the clefs are. A resize since that layout asks for another (layout_changed)."""
        scroll = self.verticalScrollBar().value()
        self._pages_zoom = self._zoom if zoom is None else zoom
        self._laid_out_for = self.page_size() if size is None else QSize(size)
        if self._laid_out_for != self.page_size() and not self._relayout.isActive():
            self._relayout.start()
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
        self._draw_loop()
        self._show_scale()
        self.verticalScrollBar().setValue(scroll)
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    def clear(self) -> None:
        self.set_pages((), {})

    def set_zoom(self, percent: int) -> None:
        """Zoom to `percent` (the staves re-flow to the view's width at that size)."""
        self.auto_fit = False
        self._apply_zoom(percent)

    def _apply_zoom(self, percent: int) -> None:
        percent = max(MIN_ZOOM, min(MAX_ZOOM, int(percent)))
        if percent == self._zoom:
            return
        self._zoom = percent
        self._show_scale()
        self.zoom_changed.emit(percent)
        self.layout_changed.emit()

    def fit_width(self) -> None:
        """Back to the normal size; the score fills the view's width at every zoom anyway."""
        self.auto_fit = True
        self._apply_zoom(DEFAULT_ZOOM)

    def _show_scale(self) -> None:
        """Pages laid out at another zoom are scaled until their re-laid-out pages arrive."""
        factor = self._zoom / self._pages_zoom if self._pages_zoom else 1.0
        self.resetTransform()
        if abs(factor - 1.0) > 1e-6:
            self.scale(factor, factor)

    def cancel_pending_layout(self) -> None:
        self._relayout.stop()

    def _layout_if_resized(self) -> None:
        if self.page_size() != self._laid_out_for:
            self.layout_changed.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._relayout.start()

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

    def show_loop(self, element_ids: tuple[str, ...]) -> None:
        """Tint the staff lines behind these notes (the looped bars); () clears the tint."""
        self._loop_ids = tuple(element_ids)
        self._draw_loop()

    def _draw_loop(self) -> None:
        for band in self.loop_bands:
            self.scene().removeItem(band)
        self.loop_bands = []
        rows: list[QRectF] = []
        for rect in self._loop_staff_rects():
            index = next((i for i, r in enumerate(rows) if _same_system(r, rect)), None)
            if index is None:
                rows.append(QRectF(rect))
            else:
                rows[index] = rows[index].united(rect)
        for row in rows:
            band = QGraphicsRectItem(row.adjusted(0, -LOOP_PAD, 0, LOOP_PAD))
            band.setBrush(QBrush(LOOP_COLOR))
            band.setPen(QPen(Qt.PenStyle.NoPen))
            band.setZValue(0.5)  # over the white sheet, under the engraving
            self.scene().addItem(band)
            self.loop_bands.append(band)

    def _loop_staff_rects(self) -> list[QRectF]:
        """The rectangles of the measures' staves the looped notes are in."""
        seen: set[str] = set()
        rects: list[QRectF] = []
        for element_id in self._loop_ids:
            index = self._page_of.get(element_id)
            if index is None or index >= len(self._pages):
                continue
            page = self._pages[index]
            staff = page.staff_of(element_id)
            if staff is None or staff in seen:
                continue
            seen.add(staff)
            rect = page.element_rect(staff)
            if rect is not None:
                rects.append(rect)
        return rects

    def element_at(self, scene_pos: QPointF) -> str | None:
        """The id of the smallest engraved element with an id under `scene_pos`."""
        best: tuple[float, str] | None = None
        for element_id in self.clickable or self._page_of:
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
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.note_extended.emit(element_id)
                else:
                    self.note_clicked.emit(element_id)
        super().mousePressEvent(event)

    def _on_band(self, rect: QRect, _from: QPointF, _to: QPointF) -> None:
        # The viewport rectangle, not the scene points (Qt's "to" point lags one move behind);
        # a null band comes when the drag ends.
        if not rect.isNull():
            self._band = self.mapToScene(rect).boundingRect()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        super().mouseReleaseEvent(event)
        band, self._band = self._band, QRectF()
        if band.width() < MIN_BAND or band.height() < MIN_BAND:
            return
        inside = tuple(
            element_id
            for element_id in self.clickable or self._page_of
            if (rect := self.element_rect(element_id)) is not None and band.intersects(rect)
        )
        if inside:
            self.notes_dragged.emit(inside)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            element_id = self.element_at(self.mapToScene(event.position().toPoint()))
            if element_id:
                self.note_activated.emit(element_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 10 if event.angleDelta().y() > 0 else -10
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


def _same_system(a: QRectF, b: QRectF) -> bool:
    """Two measures' staves on one line of music: their heights overlap by half the smaller
    (a staff's box grows with its stems and ledger lines, so the tops differ a little)."""
    overlap = min(a.bottom(), b.bottom()) - max(a.top(), b.top())
    return overlap >= 0.5 * min(a.height(), b.height())
