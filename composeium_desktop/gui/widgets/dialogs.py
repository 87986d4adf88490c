"""Small modal dialogs: pick a tune from a book, pick a variation, settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from composeium_desktop.gui.settings import AppSettings
from composeium_desktop.gui.widgets.metadata_panel import FormChoices


@dataclass(frozen=True)
class TuneEntry:
    """One tune of a tune book as listed to the user."""

    label: str
    abc: str


class _ListWithPreviewDialog(QDialog):
    def __init__(
        self, title: str, prompt: str, entries: list[TuneEntry], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 460)
        self._entries = entries
        self.list = QListWidget()
        for entry in entries:
            QListWidgetItem(entry.label, self.list)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(self.preview)
        splitter.setSizes([260, 460])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        if entries:
            self.list.setCurrentRow(0)

    def _show(self, row: int) -> None:
        self.preview.setPlainText(self._entries[row].abc if 0 <= row < len(self._entries) else "")

    def chosen_index(self) -> int:
        return self.list.currentRow()


class TunePickerDialog(_ListWithPreviewDialog):
    """Lists the tunes of a tune book; the user picks the one to open."""

    def __init__(
        self, file_name: str, entries: list[TuneEntry], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Open tune", f"{file_name} holds {len(entries)} tunes. Pick one:", entries, parent
        )


class VariationsDialog(_ListWithPreviewDialog):
    """Lists generated variations (best first); the user picks one for the editor."""

    def __init__(self, entries: list[TuneEntry], parent: QWidget | None = None) -> None:
        super().__init__("Variations", "Pick the variation to keep:", entries, parent)


class SettingsDialog(QDialog):
    """SoundFont, audio output device and the metadata the form starts with."""

    def __init__(
        self,
        settings: AppSettings,
        devices: list[str],
        choices: FormChoices,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self.soundfont_edit = QLineEdit(settings.soundfont)
        self.soundfont_edit.setPlaceholderText(
            "Automatic (system or bundled General MIDI SoundFont)"
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        sf_row = QHBoxLayout()
        sf_row.addWidget(self.soundfont_edit, 1)
        sf_row.addWidget(browse)
        self.device_combo = QComboBox()
        self.device_combo.addItem("System default", "")
        for name in devices:
            self.device_combo.addItem(name, name)
        index = self.device_combo.findData(settings.audio_device)
        self.device_combo.setCurrentIndex(max(index, 0))
        d = settings.defaults
        self.title_edit = QLineEdit(d.title)
        self.tonic_combo = self._combo(choices.tonics, d.tonic)
        self.mode_combo = self._combo(choices.modes, d.mode)
        self.meter_combo = self._combo(choices.meters, d.meter)
        self.genre_combo = self._combo(choices.genres, d.genre)
        form = QFormLayout()
        form.addRow("SoundFont", sf_row)
        form.addRow("Audio output", self.device_combo)
        form.addRow(QLabel("<b>New tunes start as</b>"))
        form.addRow("Title", self.title_edit)
        form.addRow("Tonic", self.tonic_combo)
        form.addRow("Mode", self.mode_combo)
        form.addRow("Meter", self.meter_combo)
        form.addRow("Genre", self.genre_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @staticmethod
    def _combo(items: tuple[str, ...], current: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(items))
        combo.setCurrentIndex(max(combo.findText(current), 0))
        return combo

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SoundFont", "", "SoundFonts (*.sf2 *.sf3)")
        if path:
            self.soundfont_edit.setText(path)

    def result_settings(self) -> AppSettings:
        defaults = dataclasses.replace(
            self._settings.defaults,
            title=self.title_edit.text().strip() or "Untitled",
            tonic=self.tonic_combo.currentText(),
            mode=self.mode_combo.currentText(),
            meter=self.meter_combo.currentText(),
            genre=self.genre_combo.currentText(),
        )
        return dataclasses.replace(
            self._settings,
            soundfont=self.soundfont_edit.text().strip(),
            audio_device=str(self.device_combo.currentData() or ""),
            defaults=defaults,
        )
