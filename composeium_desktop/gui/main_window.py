"""The main window: builds the widgets, menus and controllers and wires them together.

Layout: metadata panel | ABC editor | score, in one splitter, the transport bar under them and
the status bar at the bottom. Behaviour lives in the controllers (compose, score, playback,
file); this module only arranges and connects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composeium_desktop import paths
from composeium_desktop.core.tunebook import TuneBook
from composeium_desktop.gui.controllers.compose import ComposeController
from composeium_desktop.gui.controllers.export import EXPORT_KINDS
from composeium_desktop.gui.controllers.file import FileController
from composeium_desktop.gui.controllers.harmony import HarmonyController
from composeium_desktop.gui.controllers.header import HeaderController
from composeium_desktop.gui.controllers.playback import PlaybackController
from composeium_desktop.gui.controllers.practice import PracticeController
from composeium_desktop.gui.controllers.provenance import ProvenanceController
from composeium_desktop.gui.controllers.score import ScoreController
from composeium_desktop.gui.controllers.transpose import TransposeController
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.settings import AppSettings
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.metadata_panel import FormChoices, MetadataPanel
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.widgets.transport_bar import TransportBar
from composeium_desktop.gui.widgets.tune_list import TuneListPanel
from composeium_desktop.gui.workers import TaskRunner, running_workers

if TYPE_CHECKING:  # the dialogs' modules are imported when a dialog opens
    from composeium_desktop.gui.widgets.help import HelpDialog

APP_TITLE = "Composeium Desktop"
ERROR_STYLE = "color: #a2191f;"


class MainWindow(QMainWindow):
    """The application window. `settings` is updated in place (as a new object) and read back
    by the caller with .settings when the window closes."""

    def __init__(
        self,
        settings: AppSettings,
        services: CoreServices | None = None,
        parent: QWidget | None = None,
        store_settings: Callable[[AppSettings], None] | None = None,
    ) -> None:
        """`store_settings` persists the settings whenever they change (the app passes
        gui.settings.save_settings; tests leave the user's store alone)."""
        super().__init__(parent)
        self.settings = settings
        self._store_settings = store_settings
        self.services = services or CoreServices()
        self.choices = FormChoices()
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        icon = paths.resources_dir() / "icons" / "composeium.svg"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self._build_widgets()
        self._build_controllers()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._connect()
        self._apply_settings()
        self.last_error = ""
        self._score_error = ""
        self._closed = False

    def _build_widgets(self) -> None:
        self.panel = MetadataPanel(self.settings.defaults)
        self.editor = ABCEditor()
        self.score_view = ScoreView()
        self.transport = TransportBar()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.tune_list = TuneListPanel()
        self.left_tabs = QTabWidget()
        self.left_tabs.addTab(self.panel, "Compose")
        self.left_tabs.addTab(self.tune_list, "Tune book")
        self.splitter.addWidget(self.left_tabs)
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(self.score_view)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([260, 420, 620])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(2)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.transport)
        self.setCentralWidget(central)
        self.cursor_label = QLabel("Ln 1, Col 1")
        self.zoom_label = QLabel("100%")
        self.statusBar().addPermanentWidget(self.cursor_label)
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.resize(QSize(1360, 820))

    def _build_controllers(self) -> None:
        self.score = ScoreController(self.editor, self.score_view, self.services, self)
        self.compose = ComposeController(
            self.panel, self.editor, self.score, self.services, self, self
        )
        self.playback = PlaybackController(
            self.transport, self.editor, self.score_view, self.score, self.services, self
        )
        self.practice = PracticeController(
            self.playback, self.transport, self.editor, self.score_view, self.score, self
        )
        self.files = FileController(
            self.editor, self.services, self, self.playback.options, self, lambda: self.settings
        )
        self.compose.prepare_document = self.files.prepare_for_generated
        self.header = HeaderController(self.panel, self.editor, self)
        self.transposer = TransposeController(self.editor, self.services, self, self)
        self.harmony = HarmonyController(self.editor, self)
        self.provenance = ProvenanceController(
            self.compose, self.panel, self.editor, self.services, self
        )
        self.startup_tasks = TaskRunner("startup", self)
        self._choices_wanted = False

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | list[QKeySequence] | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        style = self.style()
        self.new_action = self._action("&New", self.files.new_tune, keys.New)
        self.open_action = self._action("&Open…", self.files.open_dialog, keys.Open)
        self.save_action = self._action("&Save", self.files.save, keys.Save)
        self.save_as_action = self._action("Save &As…", self.files.save_as, keys.SaveAs)
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        self.undo_action = self._action("&Undo", self.editor.undo, keys.Undo)
        self.redo_action = self._action("&Redo", self.editor.redo, keys.Redo)
        self.transpose_action = self._action("&Transpose…", self.transposer.open_dialog, "Ctrl+T")
        self.settings_action = self._action("Se&ttings…", self.open_settings, keys.Preferences)
        self.generate_action = self._action(
            "&Generate", self.compose.generate, MetadataPanel.generate_shortcuts()
        )
        self.stop_action = self._action("&Stop composing", self.compose.stop, "Esc")
        self.add_chords_action = self._action("Add c&hords", self.harmony.add_chords)
        self.remove_chords_action = self._action("Re&move chords", self.harmony.remove_chords)
        self.continue_action = self._action(
            "&Continue from cursor", self.compose.continue_from_cursor, "Ctrl+Shift+Return"
        )
        self.variations_action = self._action(
            "&Variations…", lambda: self.compose.variations(self.panel.variations_spin.value())
        )
        self.regenerate_action = self._action(
            "&Regenerate selection",
            self.compose.regenerator.regenerate_selection,
            "Ctrl+Shift+R",
        )
        self.play_action = self._action("&Play / Pause", self.playback.toggle, "Space")
        self.stop_play_action = self._action("S&top playback", self.playback.stop, "Ctrl+.")
        self.play_from_cursor_action = self._action(
            "Play from &cursor", self.practice.play_from_cursor, "Ctrl+Shift+Space"
        )
        self.loop_bars_action = self._action("&Loop selected bars", self.practice.loop_selection)
        self.stop_loop_action = self._action(
            "Stop &looping", lambda: self.playback.set_loop_span(None)
        )
        self.zoom_in_action = self._action(
            "Zoom &in", lambda: self.score_view.set_zoom(self.score_view.zoom + 10), keys.ZoomIn
        )
        self.zoom_out_action = self._action(
            "Zoom &out", lambda: self.score_view.set_zoom(self.score_view.zoom - 10), keys.ZoomOut
        )
        self.fit_action = self._action("&Fit width", self.score_view.fit_width, "Ctrl+0")
        self.export_actions = {
            kind.key: self._action(kind.label, partial(self.files.export_dialog, kind))
            for kind in EXPORT_KINDS
        }
        icons = QStyle.StandardPixmap
        self.new_action.setIcon(style.standardIcon(icons.SP_FileIcon))
        self.open_action.setIcon(style.standardIcon(icons.SP_DialogOpenButton))
        self.save_action.setIcon(style.standardIcon(icons.SP_DialogSaveButton))
        self.generate_action.setIcon(style.standardIcon(icons.SP_MediaSeekForward))
        self.stop_action.setIcon(style.standardIcon(icons.SP_BrowserStop))
        self.undo_action.setIcon(style.standardIcon(icons.SP_ArrowBack))
        self.redo_action.setIcon(style.standardIcon(icons.SP_ArrowForward))
        self.stop_action.setEnabled(False)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.addActions(list(self.export_actions.values()))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.transpose_action, self.settings_action])
        compose_menu = bar.addMenu("&Compose")
        compose_menu.addActions(
            [self.generate_action, self.stop_action, self.continue_action, self.variations_action]
        )
        compose_menu.addAction(self.regenerate_action)
        compose_menu.addAction(self.provenance.again_action)
        compose_menu.addSeparator()
        compose_menu.addActions([self.add_chords_action, self.remove_chords_action])
        play_menu = bar.addMenu("&Play")
        play_menu.addActions(
            [self.play_action, self.stop_play_action, self.play_from_cursor_action]
        )
        play_menu.addSeparator()
        self.loop_part_menu = play_menu.addMenu("Loop &part")
        self._on_parts(())
        play_menu.addActions([self.loop_bars_action, self.stop_loop_action])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action])
        help_menu = bar.addMenu("&Help")
        self.help_actions = {
            "shortcuts": help_menu.addAction(
                "&Keyboard shortcuts", lambda: self.show_help("shortcuts")
            ),
            "abc": help_menu.addAction("&ABC reference", lambda: self.show_help("abc")),
            "about": help_menu.addAction(
                "A&bout Composeium Desktop", lambda: self.show_help("about")
            ),
        }
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.new_action, self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions([self.generate_action, self.stop_action])
        toolbar.addSeparator()
        toolbar.addActions([self.zoom_out_action, self.zoom_in_action, self.fit_action])
        self.addToolBar(toolbar)

    def _connect(self) -> None:
        sources = (self.compose, self.files, self.playback, self.practice, self.transposer)
        for source in (*sources, self.harmony, self.provenance):
            source.status.connect(self.show_status)
        self.practice.parts_changed.connect(self._on_parts)
        for source in (self.compose, self.files, self.transposer, self.harmony, self.provenance):
            source.error.connect(self.show_error)
        self.score.render_failed.connect(self._show_score_error)
        self.score.rendered.connect(self._clear_score_error)
        self.compose.busy_changed.connect(self.stop_action.setEnabled)
        self.files.document_changed.connect(self._update_title)
        self.files.recent_files_changed.connect(self._on_recent_files)
        self.files.book_changed.connect(self._on_book_changed)
        self.compose.tune_finished.connect(self.files.on_generated)
        self.tune_list.tune_activated.connect(self.files.select_tune)
        self.tune_list.add_requested.connect(lambda: self.files.add_tune())
        self.tune_list.duplicate_requested.connect(self.files.duplicate_tune)
        self.tune_list.delete_requested.connect(self.files.delete_tune)
        self.tune_list.move_requested.connect(self.files.move_tune)
        self.tune_list.export_book_requested.connect(
            lambda key: self.files.export_book_dialog(next(k for k in EXPORT_KINDS if k.key == key))
        )
        self.files.recent_files_changed.connect(lambda _recent: self.store_settings())
        self.editor.cursor_moved.connect(
            lambda line, col: self.cursor_label.setText(f"Ln {line}, Col {col}")
        )
        self.editor.undoAvailable.connect(self.undo_action.setEnabled)
        self.editor.redoAvailable.connect(self.redo_action.setEnabled)
        self.score_view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z}%"))
        self.startup_tasks.succeeded.connect(self._on_choices)
        self.compose.generation.model_state_changed.connect(self._load_choices_when_idle)
        self.compose.busy_changed.connect(self._load_choices_when_idle)
        self.startup_tasks.failed.connect(
            lambda _id, msg: self.show_status(f"Using built-in form choices ({msg}).")
        )
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

    def _apply_settings(self) -> None:
        s = self.settings
        self.files.recent_files = s.recent_files
        self._on_recent_files(s.recent_files)
        if s.zoom:
            self.score_view.set_zoom(s.zoom)
        else:
            self.score_view.fit_width()
        self.transport.set_tempo(s.tempo)
        self.transport.set_program(s.program)
        self.transport.set_swing(None if s.swing < 0 else s.swing)
        self.playback.configure(s.soundfont, s.audio_device)
        if s.window_geometry:
            self.restoreGeometry(QByteArray(s.window_geometry))
        if s.window_state:
            self.restoreState(QByteArray(s.window_state))
        self._update_title(self.files.display_name())

    def collect_settings(self) -> AppSettings:
        """The settings as they stand now (window geometry, zoom, transport, recent files)."""
        swing = self.transport.swing()
        return dataclasses.replace(
            self.settings,
            recent_files=self.files.recent_files,
            zoom=0 if self.score_view.auto_fit else self.score_view.zoom,
            tempo=self.transport.tempo_spin.value(),
            program=self.transport.program_combo.currentIndex(),
            swing=-1.0 if swing is None else swing,
            window_geometry=bytes(self.saveGeometry().data()),
            window_state=bytes(self.saveState().data()),
        )

    def start_background_work(self, model_dir: Path, offer_restore: bool = True) -> None:
        """Called once the window is visible: load the model (its weights' hash, which leaves the
        interpreter to it, beside), the form choices once it has and no tune is being composed."""
        self.compose.load_model(model_dir)
        self.score.warm_up()
        self.playback.preload_later()
        self.startup_tasks.submit(partial(self.services.warm_model_identity, model_dir))
        self._choices_wanted = True
        self._load_choices_when_idle()
        if offer_restore:
            QTimer.singleShot(0, self.files.offer_restore)

    def _load_choices_when_idle(self, *_changed: object) -> None:
        if not self._choices_wanted or self.compose.busy or self._closed:
            return
        if self.compose.generation.model_state not in ("loading", "idle"):
            self._choices_wanted = False
            self.startup_tasks.submit(self.services.form_choices)

    def _on_choices(self, _task: int, choices: FormChoices | None) -> None:
        if choices is not None:  # None: the weights' hash, which the core keeps
            self.choices = choices
            self.panel.set_choices(choices)

    def show_status(self, message: str) -> None:
        self.statusBar().setStyleSheet("")
        self.statusBar().showMessage(message, 8000)

    def show_error(self, message: str) -> None:
        """Errors are never swallowed: the status bar shows them in red until the next message."""
        self.last_error = message
        self.statusBar().setStyleSheet(ERROR_STYLE)
        self.statusBar().showMessage(message)

    def _show_score_error(self, message: str) -> None:
        self._score_error = message
        self.show_error(message)

    def _clear_score_error(self, _result: object) -> None:
        """A score that renders again makes its last failure untrue: take it off the bar."""
        if self._score_error and self.statusBar().currentMessage() == self._score_error:
            self.statusBar().clearMessage()
            self.statusBar().setStyleSheet("")
            self.last_error = ""
        self._score_error = ""

    def _on_book_changed(self, book: TuneBook, index: int) -> None:
        shown_before = len(self.tune_list.book)
        self.tune_list.set_book(book, index)
        if len(self.tune_list.book) > 1 and shown_before <= 1:
            self.left_tabs.setCurrentWidget(self.tune_list)

    def show_help(self, page: str) -> HelpDialog:
        """Open a Help page ("shortcuts", "abc" or "about"), not modal."""
        from composeium_desktop.gui.widgets.help import open_help

        return open_help(page, self.actions(), paths.model_dir(), self)

    def _update_title(self, name: str) -> None:
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(self.files.is_modified())

    def _on_parts(self, parts: tuple) -> None:
        """The Play menu's Loop part lists the parts of the tune shown."""
        self.loop_part_menu.clear()
        for index, part in enumerate(parts):
            action = self.loop_part_menu.addAction(part.title)
            action.triggered.connect(lambda _=False, i=index: self.practice.loop_part(i))
        self.loop_part_menu.setEnabled(bool(parts))

    def _on_recent_files(self, recent: tuple[str, ...]) -> None:
        self.recent_menu.clear()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(recent))

    def open_settings(self) -> None:
        from composeium_desktop.gui.widgets.dialogs import SettingsDialog

        try:
            devices = self.services.list_audio_devices()
        except Exception as exc:
            devices = []
            self.show_status(f"No audio devices listed: {exc}")
        dialog = SettingsDialog(self.collect_settings(), devices, self.choices, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, settings: AppSettings) -> None:
        """Use `settings` at once (sound, output, the form's defaults) and store them."""
        defaults_changed = settings.defaults != self.settings.defaults
        self.settings = settings
        self.playback.configure(settings.soundfont, settings.audio_device)
        if defaults_changed:
            self.panel.set_values_from_defaults(settings.defaults)
        self.store_settings()
        self.show_status("Settings saved and applied.")

    def store_settings(self) -> None:
        """Persist the settings as they stand now (no-op without a store)."""
        if self._store_settings is None:
            return
        self.settings = self.collect_settings()
        try:
            self._store_settings(self.settings)
        except Exception as exc:
            self.show_error(f"Settings not saved: {exc}")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.files.open_path(files[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self._closed and not self.files.confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every worker and timer and wait for them (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.settings = self.collect_settings()
        # Waiting for a model that is still loading can take seconds: vanish first.
        self.hide()
        self.compose.shutdown()
        self.score.shutdown()
        self.header.shutdown()
        self.playback.shutdown()
        self.files.shutdown(clean=True)
        self.startup_tasks.shutdown()
        self.provenance.shutdown()
        self.statusBar().clearMessage()
        left = running_workers()
        if left:
            QMessageBox.warning(self, APP_TITLE, f"Workers still running: {', '.join(left)}")
