"""Compose -> Add chords / Remove chords: the tune under the cursor, one undo step each.

Add chords harmonises the tune (core.harmony: the melody text stays byte for byte, chords it
already has are kept); Remove chords takes its chord symbols out (annotations stay).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from composeium_desktop.gui.controllers.transpose import tune_span
from composeium_desktop.gui.widgets.abc_editor import ABCEditor


class HarmonyController(QObject):
    """status(str) after adding or removing chords; error(str) when the tune does not read."""

    status = Signal(str)
    error = Signal(str)

    def __init__(self, editor: ABCEditor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self.style = "simple"

    def add_chords(self) -> bool:
        """Harmonise the tune under the cursor; True when the text changed."""
        from composeium_desktop.core.abcnotation import ABCError
        from composeium_desktop.core.harmony.text import harmonise_tune_text

        def change(tune: str) -> str:
            return harmonise_tune_text(tune, self.style)

        try:
            changed = self._apply(change)
        except ABCError as exc:
            self.error.emit(f"Cannot add chords: {exc}")
            return False
        self.status.emit(
            "Added chords to the tune." if changed else "The tune has chords already (kept)."
        )
        return changed

    def remove_chords(self) -> bool:
        """Take the chord symbols out of the tune under the cursor; True when it changed."""
        from composeium_desktop.core.harmony.text import strip_chords

        changed = self._apply(strip_chords)
        self.status.emit("Removed the tune's chords." if changed else "The tune has no chords.")
        return changed

    def _apply(self, change: object) -> bool:
        text = self._editor.toPlainText()
        if not text.strip():
            return False
        position = self._editor.textCursor().position()
        span = tune_span(text, position)
        new_tune = change(text[span.start : span.end])  # type: ignore[operator]
        new_text = text[: span.start] + new_tune + text[span.end :]
        if new_text == text:
            return False
        self._editor.replace_all_undoable(new_text)
        cursor = self._editor.textCursor()
        cursor.setPosition(min(position, len(new_text)))
        self._editor.setTextCursor(cursor)
        return True
