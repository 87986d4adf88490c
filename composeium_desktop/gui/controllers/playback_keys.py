"""Space plays and pauses wherever the focus is, except while typing in a text field; Ctrl+Space
works everywhere (the editor too). The filter sits on the focus widget, moving with the focus, so
menus never see Space; an application-wide filter would call Python for every event of the app
(some 3,700 between launch and the first tune on screen), each one taking the interpreter lock
from the thread that is composing."""

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
from shiboken6 import Shiboken


class SpaceKeys(QObject):
    """Calls `toggle` for Space in `window` (see the module docstring)."""

    def __init__(self, window: Callable[[], QWidget], toggle: Callable[[], None], parent: QObject):
        super().__init__(parent)
        self._window = window
        self._toggle = toggle
        self._watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)
            self._follow_focus(None, QApplication.focusWidget())

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Key events go to the focus widget first: watch that one only."""
        if self._watched is not None and Shiboken.isValid(self._watched):
            self._watched.removeEventFilter(self)
        self._watched = new
        if new is not None:
            new.installEventFilter(self)

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
