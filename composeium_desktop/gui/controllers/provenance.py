"""Compose -> Generate again with these settings, and the nearest corpus tune of a new tune.

"Generate again" reads the settings the tune under the cursor records (its ``%%composeium``
line: model, seed, sampling, form, chords), shows them in the form and writes the tune again
with exactly those settings (the same model writes the same notes). It is disabled, with a tip
saying why, while the tune records none.

After every generated tune the corpus tune nearest to it (core.evaluation.originality) is
looked up on a worker thread (the first time reads the model folder's corpus index) and shown
in the status bar, in red with a warning above the near-copy threshold. The lookup starts
``LOOKUP_DELAY_MS`` after the tune is finished: on two cores, reading the index at once would
take CPU from engraving the new tune, which the musician is waiting for.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow

from composeium_desktop.core.generation.provenance import DIRECTIVE
from composeium_desktop.gui.controllers.compose import ComposeController
from composeium_desktop.gui.controllers.transpose import tune_span
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.metadata_panel import FREE_FORM, MetadataPanel
from composeium_desktop.gui.workers import TaskRunner, single_shot_timer

AGAIN_TIP = "Write this tune again with the model, seed and settings it records"
NO_PROVENANCE_TIP = (
    "This tune records no settings (no %%composeium line): only tunes Composeium writes can be "
    "written again"
)
WARNING_STYLE = "color: #a2191f; font-weight: bold;"
LOOKUP_DELAY_MS = 1500


class ProvenanceController(QObject):
    """status(str) / error(str) for the status bar; ``again_action`` for the Compose menu;
    ``nearest_label`` (in the status bar) shows the last new tune's nearest corpus tune."""

    status = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        compose: ComposeController,
        panel: MetadataPanel,
        editor: ABCEditor,
        services: CoreServices,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self._compose = compose
        self._panel = panel
        self._editor = editor
        self._services = services
        self._expected_model = ""
        self._latest = 0
        self.again_action = QAction("Generate &again with these settings", window)
        self.again_action.triggered.connect(self.generate_again)
        window.addAction(self.again_action)
        self.nearest_label = QLabel()
        self.nearest_label.setVisible(False)
        window.statusBar().addPermanentWidget(self.nearest_label)
        self.tasks = TaskRunner("originality", self)
        self.tasks.succeeded.connect(self._on_nearest)
        self.tasks.failed.connect(self._on_nearest_failed)
        self._pending_tune = ""
        self._lookup_timer = single_shot_timer(self, LOOKUP_DELAY_MS)
        self._lookup_timer.timeout.connect(self._look_up)
        compose.tune_finished.connect(self._on_tune_finished)
        editor.textChanged.connect(self._update_action)
        self._update_action()

    def _current_tune(self) -> str:
        text = self._editor.toPlainText()
        span = tune_span(text, self._editor.textCursor().position())
        return text[span.start : span.end]

    def _update_action(self) -> None:
        recorded = DIRECTIVE + " " in self._editor.toPlainText()
        self.again_action.setEnabled(recorded)
        tip = AGAIN_TIP if recorded else NO_PROVENANCE_TIP
        self.again_action.setToolTip(tip)
        self.again_action.setStatusTip(tip)

    def generate_again(self) -> None:
        """Show the tune's recorded settings in the form and write it again."""
        try:
            provenance = self._services.read_provenance(self._current_tune())
        except ValueError as exc:
            self.error.emit(f"Cannot read the tune's settings: {exc}")
            return
        if provenance is None:
            self.error.emit(NO_PROVENANCE_TIP + ".")
            return
        self._show_settings(provenance)
        self._expected_model = provenance.model
        self._compose.generate_request(provenance.request, provenance.chords)

    def _show_settings(self, provenance: Any) -> None:
        """The form shows the settings (its seed kept for the next Generate)."""
        request = provenance.request
        panel = self._panel
        try:
            from composeium_desktop.core.generation.request import resolve_key

            key = resolve_key(request.key)
            panel.show_tune(request.title, key.tonic, key.mode, request.meter, request.genre)
        except ValueError:
            pass
        panel.bars_spin.setValue(request.bars or 0)
        panel.form_combo.setCurrentText(request.form.label() if request.form else FREE_FORM)
        if request.tempo is not None:
            panel.tempo_spin.setValue(request.tempo)
        panel.creativity_spin.setValue(request.temperature)
        panel.length_spin.setValue(request.max_tokens)
        panel.new_seed_check.setChecked(False)
        panel.show_seed(request.seed)
        panel.chords_check.setChecked(bool(provenance.chords))

    def _on_tune_finished(self, text: str) -> None:
        expected, self._expected_model = self._expected_model, ""
        tune = self._current_tune() or text
        if expected:
            try:
                written = self._services.read_provenance(tune)
            except ValueError:
                written = None
            if written is not None and written.model and written.model != expected:
                self.error.emit(
                    f"Written again by model {written.model}; the tune recorded {expected}, "
                    "so the notes differ."
                )
        self.nearest_label.setText("Nearest corpus tune: looking…")
        self.nearest_label.setStyleSheet("")
        self.nearest_label.setVisible(True)
        self._pending_tune = tune
        self._lookup_timer.start()  # a newer tune restarts the wait; the latest is looked up

    def _look_up(self) -> None:
        tune, self._pending_tune = self._pending_tune, ""
        if not tune:
            return
        model_dir = self._compose.model_dir
        find = self._services.nearest_tune
        self._latest = self.tasks.submit(lambda: find(model_dir, tune))

    def _on_nearest(self, task_id: int, nearest: Any) -> None:
        if task_id != self._latest:
            return
        if nearest is None:
            self.nearest_label.setText("Nearest corpus tune: none found")
            self.nearest_label.setToolTip("No corpus index, or no corpus tune shares a figure")
            return
        text = f"Nearest corpus tune: {nearest.describe()}"
        if nearest.near_copy:
            text = f"⚠ Near copy! {text}"
            self.nearest_label.setStyleSheet(WARNING_STYLE)
            self.status.emit(f"Warning: the new tune is a near copy of {nearest.title}.")
        self.nearest_label.setText(text)
        from composeium_desktop.core.evaluation.originality import NEAR_COPY

        self.nearest_label.setToolTip(
            "How much of the new tune's notes (intervals and lengths, in any key) the most "
            f"similar tune of the training collections has in order; from {NEAR_COPY:.2f} it "
            "is a near copy, as other books' versions of one tune are"
        )

    def _on_nearest_failed(self, task_id: int, message: str) -> None:
        if task_id == self._latest:
            self.nearest_label.setText(f"Nearest corpus tune: not found ({message})")

    def shutdown(self) -> None:
        self._lookup_timer.stop()
        self.tasks.shutdown()
