"""Space plays and pauses wherever the focus is, except while typing in a text field; Ctrl+Space
works everywhere (the editor too). An application-wide event filter, so menus never see Space."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


class SpaceKeys(QObject):
    """Calls `toggle` for Space in `window` (see the module docstring)."""

    def __init__(self, window: Callable[[], QWidget], toggle: Callable[[], None], parent: QObject):
        super().__init__(parent)
        self._window = window
        self._toggle = toggle
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(event, QKeyEvent) or event.key() != Qt.Key.Key_Space:
            return False
        focus = QApplication.focusWidget()
        if focus is None or focus is not watched or focus.window() is not self._window():
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if kind == QEvent.Type.ShortcutOverride:
            # Space is decided here on the key press, never by a menu shortcut as well.
            if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier):
                event.accept()
                return True
            return False
        if event.isAutoRepeat():
            return False
        if modifiers == Qt.KeyboardModifier.ControlModifier:
            self._toggle()
            return True
        typing = isinstance(focus, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)) or (
            isinstance(focus, QComboBox) and focus.isEditable()
        )
        if modifiers == Qt.KeyboardModifier.NoModifier and not typing:
            self._toggle()
            return True
        return False
