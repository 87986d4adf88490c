"""Transpose: to a named key or by an interval, the tune under the cursor or the selection.

The dialog offers the instrument-friendly keys of the tune's mode first, then every key. The
edit is one undo step and the cursor (or selection) stays where it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialog, QWidget

from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor

if TYPE_CHECKING:  # the dialogs' module is imported when the dialog opens
    from composeium_desktop.gui.widgets.dialogs import TransposeChoice, TransposeDialog


@dataclass(frozen=True)
class TuneSpan:
    """Where the tune under the cursor lies in the editor's text (character offsets)."""

    start: int
    end: int


def tune_span(text: str, position: int) -> TuneSpan:
    """The span of the tune holding `position`: from its X: line to the next one."""
    starts = [m.start() for m in re.finditer(r"(?m)^X:", text)]
    if len(starts) <= 1:
        return TuneSpan(0, len(text))
    begin = max((s for s in starts if s <= position), default=0)
    end = min((s for s in starts if s > position), default=len(text))
    return TuneSpan(begin, end)


class TransposeController(QObject):
    """status(str) after a transposition; error(str) when the text cannot be transposed."""

    status = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        editor: ABCEditor,
        services: CoreServices,
        window: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._editor = editor
        self._services = services
        self._window = window

    def make_dialog(self) -> TransposeDialog | None:
        """The dialog for the tune under the cursor (None, with an error, when there is none)."""
        from composeium_desktop.core.abcnotation import (
            INTERVALS,
            TONICS,
            instrument_keys,
            key_name,
            parse_key,
        )
        from composeium_desktop.gui.widgets.dialogs import TransposeDialog

        text = self._editor.toPlainText()
        if not text.strip():
            self.error.emit("Nothing to transpose: the editor is empty.")
            return None
        span = tune_span(text, self._editor.textCursor().position())
        try:
            key = parse_key(self._services.parse_tune(text[span.start : span.end]).key)
        except Exception as exc:
            self.error.emit(f"Cannot transpose: {exc}")
            return None
        friendly = instrument_keys(key.mode)
        others = tuple(
            key_name(t, key.mode) for t in TONICS if key_name(t, key.mode) not in friendly
        )
        keys = tuple((k, parse_key(k).tonic) for k in (*friendly, *others))
        current = "no key (K:none)" if key.none else f"{key.tonic} {key.mode}"
        return TransposeDialog(
            current,
            keys,
            len(friendly),
            INTERVALS,
            self._editor.textCursor().hasSelection(),
            self._window,
        )

    def open_dialog(self) -> None:
        dialog = self.make_dialog()
        if dialog is not None and dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply(dialog.choice())

    def apply(self, choice: TransposeChoice) -> bool:
        """Transpose as `choice` says; True when the text changed."""
        text = self._editor.toPlainText()
        cursor = self._editor.textCursor()
        anchor, position = cursor.anchor(), cursor.position()
        span = tune_span(text, position)
        tune = text[span.start : span.end]
        try:
            semitones = choice.semitones
            if choice.to_tonic is not None:
                semitones = self._services.semitones_to_key(
                    self._services.parse_tune(tune).key, choice.to_tonic, choice.direction
                )
            if choice.selection:
                start, end = sorted((anchor, position))
                new_text = self._services.transpose_passage(text, start, end, semitones)
            elif choice.to_tonic is not None:
                new_tune = self._services.transpose_to(tune, choice.to_tonic, choice.direction)
                new_text = text[: span.start] + new_tune + text[span.end :]
            else:
                new_tune = self._services.transpose(tune, semitones)
                new_text = text[: span.start] + new_tune + text[span.end :]
        except Exception as exc:
            self.error.emit(f"Cannot transpose: {exc}")
            return False
        if new_text == text:
            self.status.emit("Already there: nothing to transpose.")
            return False
        self._editor.replace_all_undoable(new_text)
        self._restore_cursor(anchor, position, len(new_text) - len(text))
        where = "the selection" if choice.selection else "the tune"
        target = f" to {choice.to_tonic}" if choice.to_tonic else ""
        self.status.emit(f"Transposed {where}{target} ({semitones:+d} semitones).")
        return True

    def _restore_cursor(self, anchor: int, position: int, growth: int) -> None:
        last = self._editor.document().characterCount() - 1
        cursor = QTextCursor(self._editor.document())
        low, high = sorted((anchor, position))
        cursor.setPosition(min(low, last))
        cursor.setPosition(min(max(high + growth, low), last), QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)
