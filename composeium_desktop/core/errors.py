"""The base of the core's user-facing errors that may point at a place in the ABC text."""

from __future__ import annotations


class PositionedError(Exception):
    """An error with an optional 1-based line and column in the ABC text."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.col or 1}: {self.message}"
        return self.message
