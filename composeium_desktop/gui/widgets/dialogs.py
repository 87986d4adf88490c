"""Small modal dialogs: pick a tune from a book, pick a variation, settings, transpose."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
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
    # Characters [start, end) of ``abc`` to show selected in the preview (what is new).
    changed: tuple[int, int] | None = None


class _ListWithPreviewDialog(QDialog):
    """A list of tunes and the chosen one's text; with ``score`` (a ``ScorePreview``: ``view``,
    ``show_tune(abc)``, ``shutdown()``) its engraved score too, below the text."""

    def __init__(
        self,
        title: str,
        prompt: str,
        entries: list[TuneEntry],
        parent: QWidget | None,
        score: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 460 if score is None else 640)
        self._entries = entries
        self.score = score
        self.list = QListWidget()
        for entry in entries:
            QListWidgetItem(entry.label, self.list)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        if score is None:
            splitter.addWidget(self.preview)
        else:
            score.setParent(self)
            right = QSplitter(Qt.Orientation.Vertical)
            right.addWidget(self.preview)
            right.addWidget(score.view)
            right.setSizes([180, 420])
            splitter.addWidget(right)
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
        entry = self._entries[row] if 0 <= row < len(self._entries) else None
        self.preview.setPlainText(entry.abc if entry is not None else "")
        if self.score is not None and entry is not None:
            self.score.show_tune(entry.abc)
        if entry is not None and entry.changed is not None:
            cursor = self.preview.textCursor()
            cursor.setPosition(entry.changed[0])
            cursor.setPosition(entry.changed[1], QTextCursor.MoveMode.KeepAnchor)
            self.preview.setTextCursor(cursor)

    def chosen_index(self) -> int:
        return self.list.currentRow()

    def stop_preview(self) -> None:
        """Stop the score preview's engraver (idempotent); done() does it on closing."""
        if self.score is not None:
            self.score.shutdown()

    def done(self, result: int) -> None:
        self.stop_preview()
        super().done(result)


class TunePickerDialog(_ListWithPreviewDialog):
    """Lists the tunes of a tune book; the user picks the one to open."""

    def __init__(
        self, file_name: str, entries: list[TuneEntry], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Open tune", f"{file_name} holds {len(entries)} tunes. Pick one:", entries, parent
        )


class VariationsDialog(_ListWithPreviewDialog):
    """Lists generated variations (best first), each shown as text and, with ``score``, as
    an engraved score; the user picks one for the editor."""

    def __init__(
        self, entries: list[TuneEntry], parent: QWidget | None = None, score: Any = None
    ) -> None:
        super().__init__("Variations", "Pick the variation to keep:", entries, parent, score)


GENERATED_TUNE_CHOICES = (
    ("Ask each time a file is open", "ask"),
    ("Always a new document", "new"),
    ("Add to the open tune book", "book"),
)


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
        self.generated_combo = QComboBox()
        for label, value in GENERATED_TUNE_CHOICES:
            self.generated_combo.addItem(label, value)
        self.generated_combo.setCurrentIndex(
            max(self.generated_combo.findData(settings.generated_tunes), 0)
        )
        form.addRow("Generated tunes", self.generated_combo)
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
            generated_tunes=str(self.generated_combo.currentData() or "ask"),
            defaults=defaults,
        )


@dataclass(frozen=True)
class TransposeChoice:
    """What the transpose dialog asked for.

    to_tonic set: move the tune's tonic there (direction "nearest", "up" or "down");
    otherwise move by `semitones` (signed). `selection`: only the selected passage.
    """

    to_tonic: str | None
    direction: str
    semitones: int
    selection: bool


class TransposeDialog(QDialog):
    """Transpose to a named key (instrument-friendly keys first) or by an interval, for the
    tune or the selection."""

    def __init__(
        self,
        current_key: str,
        keys: tuple[tuple[str, str], ...],
        friendly: int,
        intervals: tuple[tuple[str, int], ...],
        has_selection: bool,
        parent: QWidget | None = None,
    ) -> None:
        """`keys`: (label, tonic) pairs, the first `friendly` of them instrument-friendly."""
        super().__init__(parent)
        self.setWindowTitle("Transpose")
        self.to_key_radio = QRadioButton("To the key of")
        self.by_interval_radio = QRadioButton("By")
        self.to_key_radio.setChecked(True)
        self.key_combo = QComboBox()
        for index, (label, tonic) in enumerate(keys):
            if index == friendly and friendly:
                self.key_combo.insertSeparator(self.key_combo.count())
            self.key_combo.addItem(label, tonic)
        self.key_direction = QComboBox()
        for label, value in (("nearest", "nearest"), ("up", "up"), ("down", "down")):
            self.key_direction.addItem(label, value)
        self.interval_combo = QComboBox()
        for label, semitones in intervals:
            self.interval_combo.addItem(label, semitones)
        self.interval_direction = QComboBox()
        self.interval_direction.addItem("up", 1)
        self.interval_direction.addItem("down", -1)
        self.tune_radio = QRadioButton("The whole tune")
        self.selection_radio = QRadioButton("The selection")
        self.selection_radio.setEnabled(has_selection)
        (self.selection_radio if has_selection else self.tune_radio).setChecked(True)
        what = QButtonGroup(self)
        what.addButton(self.to_key_radio)
        what.addButton(self.by_interval_radio)
        scope = QButtonGroup(self)
        scope.addButton(self.tune_radio)
        scope.addButton(self.selection_radio)
        grid = QGridLayout()
        grid.addWidget(self.to_key_radio, 0, 0)
        grid.addWidget(self.key_combo, 0, 1)
        grid.addWidget(self.key_direction, 0, 2)
        grid.addWidget(self.by_interval_radio, 1, 0)
        grid.addWidget(self.interval_combo, 1, 1)
        grid.addWidget(self.interval_direction, 1, 2)
        self.key_combo.activated.connect(lambda _i: self.to_key_radio.setChecked(True))
        self.interval_combo.activated.connect(lambda _i: self.by_interval_radio.setChecked(True))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The tune is in <b>{current_key}</b>."))
        layout.addLayout(grid)
        layout.addWidget(QLabel("Transpose"))
        layout.addWidget(self.tune_radio)
        layout.addWidget(self.selection_radio)
        layout.addWidget(buttons)

    def select_key(self, tonic: str) -> bool:
        index = self.key_combo.findData(tonic)
        if index >= 0:
            self.key_combo.setCurrentIndex(index)
            self.to_key_radio.setChecked(True)
        return index >= 0

    def choice(self) -> TransposeChoice:
        selection = self.selection_radio.isChecked()
        if self.to_key_radio.isChecked():
            return TransposeChoice(
                str(self.key_combo.currentData()),
                str(self.key_direction.currentData()),
                0,
                selection,
            )
        semitones = int(self.interval_combo.currentData()) * int(
            self.interval_direction.currentData()
        )
        return TransposeChoice(None, "up" if semitones > 0 else "down", semitones, selection)
