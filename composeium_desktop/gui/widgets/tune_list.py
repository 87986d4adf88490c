"""The tune list of the open book: title, key, meter, genre; search by title and by melody.

The pane shows a core TuneBook and reports what the user asks for (edit, add, duplicate,
delete, move, export); the file controller does it. The melody search is the core's
(TuneBook.search_melody): a few notes of ABC find the tunes holding them in any key.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composeium_desktop.core.abcnotation import ABCError
from composeium_desktop.core.tunebook import TuneBook

COLUMNS = ("#", "Title", "Key", "Meter", "Genre")
BOOK_EXPORTS = (
    ("pdf", "PDF book with contents…"),
    ("midi", "MIDI (one per tune)…"),
    ("wav", "WAV (one per tune)…"),
)


class TuneListPanel(QWidget):
    """tune_activated(index) when the user picks a tune; the other signals name a tune by its
    index in the book (not its row, which a search may have filtered)."""

    tune_activated = Signal(int)
    add_requested = Signal()
    duplicate_requested = Signal(int)
    delete_requested = Signal(int)
    move_requested = Signal(int, int)
    export_book_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = TuneBook.parse("")
        self.current = -1
        self._filling = False
        self.title_search = QLineEdit()
        self.title_search.setPlaceholderText("Search titles")
        self.title_search.setClearButtonEnabled(True)
        self.melody_search = QLineEdit()
        self.melody_search.setPlaceholderText("Search melody, e.g. DE^FG (any key)")
        self.melody_search.setClearButtonEnabled(True)
        self.search_message = QLabel("")
        self.search_message.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.add_button = QPushButton("Add")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete")
        self.up_button = QPushButton("▲")
        self.up_button.setToolTip("Move the tune up")
        self.down_button = QPushButton("▼")
        self.down_button.setToolTip("Move the tune down")
        self.export_button = QToolButton()
        self.export_button.setText("Export book")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for key, label in BOOK_EXPORTS:
            menu.addAction(label, functools.partial(self.export_book_requested.emit, key))
        self.export_button.setMenu(menu)
        self._build_layout()
        self._connect()
        self._fill()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.add_button, self.duplicate_button, self.delete_button):
            buttons.addWidget(button)
        second_row = QHBoxLayout()
        second_row.addWidget(self.up_button)
        second_row.addWidget(self.down_button)
        second_row.addStretch(1)
        second_row.addWidget(self.export_button)
        for button in (self.up_button, self.down_button):
            button.setMaximumWidth(40)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title_search)
        layout.addWidget(self.melody_search)
        layout.addWidget(self.search_message)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addLayout(second_row)

    def _connect(self) -> None:
        self.title_search.textChanged.connect(lambda _t: self._fill())
        self.melody_search.textChanged.connect(lambda _t: self._fill())
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.add_button.clicked.connect(self.add_requested)
        self.duplicate_button.clicked.connect(
            lambda: self._emit_for_selected(self.duplicate_requested)
        )
        self.delete_button.clicked.connect(lambda: self._emit_for_selected(self.delete_requested))
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(+1))

    def set_book(self, book: TuneBook, current: int) -> None:
        """Show `book`, tune `current` selected (-1: none; the editor holds the document)."""
        self.book = book
        self.current = current
        self._fill()

    def visible_indices(self) -> list[int]:
        """The book indices of the rows shown, in order (after the searches)."""
        items = (self.tree.topLevelItem(r) for r in range(self.tree.topLevelItemCount()))
        return [int(item.data(0, Qt.ItemDataRole.UserRole)) for item in items if item is not None]

    def selected_index(self) -> int:
        items = self.tree.selectedItems()
        return int(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else self.current

    def _matches(self) -> list[int]:
        indices = list(range(len(self.book)))
        self.search_message.setText("")
        self.search_message.setStyleSheet("")
        title = self.title_search.text().strip()
        if title:
            found = set(self.book.search_title(title))
            indices = [i for i in indices if i in found]
        melody = self.melody_search.text().strip()
        if melody:
            try:
                found = set(self.book.search_melody(melody))
            except ABCError as exc:
                self.search_message.setStyleSheet("color: #a2191f;")
                self.search_message.setText(f"Melody search: {exc}")
                return indices
            indices = [i for i in indices if i in found]
        if title or melody:
            self.search_message.setText(f"{len(indices)} of {len(self.book)} tunes")
        return indices

    def _fill(self) -> None:
        self._filling = True
        try:
            self.tree.clear()
            for index in self._matches():
                tune = self.book.tunes[index]
                number = "" if tune.number is None else str(tune.number)
                item = QTreeWidgetItem([number, tune.title, tune.key, tune.meter, tune.genre])
                item.setData(0, Qt.ItemDataRole.UserRole, index)
                item.setToolTip(1, tune.title)
                self.tree.addTopLevelItem(item)
                if index == self.current:
                    item.setSelected(True)
                    self.tree.setCurrentItem(item)
        finally:
            self._filling = False
        has_tune = self.current >= 0 or bool(self.book.tunes)
        for button in (self.duplicate_button, self.delete_button, self.up_button, self.down_button):
            button.setEnabled(has_tune)
        self.export_button.setEnabled(bool(self.book.tunes))

    def _on_selection(self) -> None:
        if self._filling:
            return
        items = self.tree.selectedItems()
        if items:
            index = int(items[0].data(0, Qt.ItemDataRole.UserRole))
            if index != self.current:
                self.tune_activated.emit(index)

    def _emit_for_selected(self, signal: SignalInstance) -> None:
        index = self.selected_index()
        if 0 <= index < len(self.book):
            signal.emit(index)

    def _move(self, step: int) -> None:
        index = self.selected_index()
        if 0 <= index < len(self.book) and 0 <= index + step < len(self.book):
            self.move_requested.emit(index, index + step)
