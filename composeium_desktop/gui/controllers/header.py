"""The header and the form agree: the metadata panel shows the header of the tune under the
editor's cursor (title, key, meter, genre) and a change in the panel rewrites that tune's
T:/K:/M:/R: line in the editor, as one undoable edit.

The header is read by the notation core (parse_tune, parse_key, tunebook_spans); this
controller only finds the line to change.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Signal

from composeium_desktop.core.abcnotation import ABCError, parse_key, parse_tune
from composeium_desktop.core.abcnotation.header import tunebook_spans
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.metadata_panel import MetadataPanel
from composeium_desktop.gui.workers import single_shot_timer

SYNC_MS = 250
_FIELD_START = re.compile(r"([A-Za-z]):")


def tune_span_at(text: str, position: int) -> tuple[int, int]:
    """The tune of `text` holding `position` (the whole text when it has no X: tunes)."""
    spans = tunebook_spans(text)
    if not spans:
        return 0, len(text)
    return next((s for s in reversed(spans) if s[0] <= position), spans[0])


def header_edit(text: str, position: int, letter: str, value: str) -> tuple[int, int, str]:
    """(start, end, replacement) that sets field `letter` of the tune at `position` to `value`:
    its line in the header is rewritten, or a new line goes in before K: (K: itself, when
    missing, after the last header line)."""
    start, end = tune_span_at(text, position)
    pos = header_end = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline < 0 else newline
        line = text[pos:line_end]
        if line.startswith("%"):
            pos = line_end + 1
            continue
        match = _FIELD_START.match(line)
        if match is None:
            break
        if match.group(1) == letter:
            return pos, line_end, f"{letter}:{value}"
        if match.group(1) == "K":
            return pos, pos, f"{letter}:{value}\n"
        pos = header_end = line_end + 1
    if header_end > len(text):
        return len(text), len(text), f"\n{letter}:{value}\n"
    return header_end, header_end, f"{letter}:{value}\n"


class HeaderController(QObject):
    """synced(title) after the panel was set from the tune's header."""

    synced = Signal(str)

    def __init__(self, panel: MetadataPanel, editor: ABCEditor, parent: QObject | None = None):
        super().__init__(parent)
        self._panel = panel
        self._editor = editor
        self._span: tuple[int, int] | None = None
        self._timer = single_shot_timer(self, SYNC_MS)
        self._timer.timeout.connect(self.sync_panel)
        editor.textChanged.connect(self._timer.start)
        editor.cursorPositionChanged.connect(self._on_cursor)
        panel.header_edited.connect(self.set_field)

    def _on_cursor(self) -> None:
        span = self._span
        position = self._editor.textCursor().position()
        if span is not None and not span[0] <= position <= span[1]:
            self._timer.start()

    def sync_panel(self) -> None:
        """Show the header of the tune under the cursor in the panel."""
        self._timer.stop()
        text = self._editor.toPlainText()
        if not text.strip():
            self._span = None
            return
        start, end = tune_span_at(text, self._editor.textCursor().position())
        self._span = (start, end)
        tune = parse_tune(text[start:end])
        try:
            spec = parse_key(tune.raw_key)
            tonic, mode = spec.tonic, spec.mode
        except ABCError:
            tonic, mode = "", ""
        meter = tune.meter if tune.meter != "none" else ""
        genre = (tune.rhythm or "").strip().lower()
        self._panel.show_tune(tune.title, tonic, mode, meter, genre)
        self.synced.emit(tune.title)

    def set_field(self, letter: str, value: str) -> None:
        """Write the panel's `value` into field `letter` of the tune under the cursor."""
        if self._editor.isReadOnly() or not self._editor.toPlainText().strip():
            return  # composing: the generated header is the tune's; an empty editor has none
        text = self._editor.toPlainText()
        start, end, replacement = header_edit(
            text, self._editor.textCursor().position(), letter, value
        )
        if text[start:end] != replacement:
            self._editor.replace_range_undoable(start, end, replacement)

    def shutdown(self) -> None:
        self._timer.stop()
