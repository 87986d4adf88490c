"""An engraved preview of a tune in a dialog (the Variations dialog): a score view of its own
over a render worker of its own. The worker's engraver is a Verovio process of its own
(``CoreServices.make_preview_renderer``), so the main score's renders are never mixed with the
preview's, and it is stopped when the dialog closes. ``pick_variation`` runs that dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import QDialog, QWidget

from composeium_desktop.gui.controllers.score import layout_options
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.workers import RenderFailure, RenderWorker

PREVIEW_MIN_HEIGHT = 220


class ScorePreview(QObject):
    """``show_tune(abc)`` engraves a tune into ``view`` (the latest request wins);
    ``shutdown()`` stops the worker (idempotent). ``failed(message)`` when a tune does not
    engrave."""

    failed = Signal(str)

    def __init__(self, services: CoreServices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.view = ScoreView()
        self.view.setMinimumHeight(PREVIEW_MIN_HEIGHT)
        self._worker = RenderWorker(services.make_preview_renderer, self)
        self._worker.rendered.connect(self._on_rendered)
        self._worker.failed.connect(self._on_failed)
        self._layouts: dict[int, tuple[int, QSize]] = {}
        self._abc = ""
        self._stopped = False
        self.view.layout_changed.connect(lambda: self.show_tune(self._abc))

    def show_tune(self, abc: str) -> None:
        """Engrave ``abc`` laid out for the view's width at its zoom."""
        self._abc = abc
        if self._stopped or not abc.strip():
            return
        zoom, size = self.view.zoom, self.view.page_size()
        layout = layout_options(size.width(), size.height(), zoom)
        options = self._services.render_options(
            zoom=layout["zoom"], page_width=layout["page_width"], page_height=layout["page_height"]
        )
        request_id = self._worker.request(abc, options)
        self._layouts = {request_id: (zoom, size)}

    def shutdown(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._worker.shutdown()

    def _on_rendered(self, request_id: int, result: Any) -> None:
        if request_id != self._worker.latest_id or self._stopped:
            return
        zoom, size = self._layouts.get(request_id, (None, None))
        self.view.set_pages(tuple(result.pages), dict(result.page_of), zoom, size)

    def _on_failed(self, request_id: int, failure: RenderFailure) -> None:
        if request_id != self._worker.latest_id or self._stopped:
            return
        self.view.clear()
        self.failed.emit(f"Not engraved: {failure.message}")


def pick_variation(
    entries: list[Any], parent: QWidget | None, services: CoreServices
) -> int | None:
    """The Variations dialog over ``entries`` (``TuneEntry``), each engraved as it is picked:
    the index the user keeps, None when cancelled. Its engraver has stopped when this returns."""
    from composeium_desktop.gui.widgets.dialogs import VariationsDialog

    dialog = VariationsDialog(entries, parent, ScorePreview(services))
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.stop_preview()
    index = dialog.chosen_index()
    return index if accepted and index >= 0 else None
