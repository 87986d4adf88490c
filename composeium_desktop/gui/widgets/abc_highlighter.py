"""Syntax colouring of ABC text: header fields, notes, bar lines, chords, decorations, comments.

Purely presentational and line-based (a QSyntaxHighlighter sees one block at a time); the
authoritative parse lives in core.abcnotation.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    if italic:
        fmt.setFontItalic(True)
    return fmt


FORMATS = {
    "field_name": _format("#8a3ffc", bold=True),
    "field_value": _format("#005d5d"),
    "comment": _format("#6f6f6f", italic=True),
    "directive": _format("#8e6a00", italic=True),
    "bar": _format("#0043ce", bold=True),
    "chord": _format("#a2191f"),
    "decoration": _format("#b28600"),
    "note": _format("#161616"),
    "accidental": _format("#d12771"),
    "length": _format("#0072c3"),
    "inline_field": _format("#8a3ffc"),
    "grace": _format("#6929c4", italic=True),
    "rest": _format("#4d5358"),
}

_FIELD_LINE = re.compile(r"^([A-Za-z+]):(.*)$")
_BODY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("note", re.compile(r"[A-Ga-g][,']*")),
    ("rest", re.compile(r"[zZx][0-9/]*")),
    ("accidental", re.compile(r"[_^=]{1,2}(?=[A-Ga-g])")),
    ("length", re.compile(r"(?<=[A-Ga-g,'])[0-9]*/*[0-9]+|(?<=[A-Ga-g,'])/+")),
    ("bar", re.compile(r":*\|[\]|:]*[0-9]*|:*\[\||::|\[[0-9]")),
    ("decoration", re.compile(r"![^!\n]*!|\+[^+\n]*\+|[~.HLMOPSTuv](?=[A-Ga-g^_=(\[])")),
    ("grace", re.compile(r"\{[^}\n]*\}")),
    ("inline_field", re.compile(r"\[[A-Za-z]:[^\]\n]*\]")),
    ("chord", re.compile(r'"[^"\n]*"?')),
    ("comment", re.compile(r"%.*$")),
)


class ABCHighlighter(QSyntaxHighlighter):
    """Colours one ABC line at a time; later rules win where patterns overlap."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        if text.startswith("%%"):
            self.setFormat(0, len(text), FORMATS["directive"])
            return
        if text.startswith("%"):
            self.setFormat(0, len(text), FORMATS["comment"])
            return
        field = _FIELD_LINE.match(text)
        if field and not text.startswith("|"):
            self.setFormat(0, 2, FORMATS["field_name"])
            value = field.group(2)
            comment = value.find("%")
            end = len(text) if comment < 0 else 2 + comment
            self.setFormat(2, end - 2, FORMATS["field_value"])
            if comment >= 0:
                self.setFormat(end, len(text) - end, FORMATS["comment"])
            return
        for name, pattern in _BODY_RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), FORMATS[name])
