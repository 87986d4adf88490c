"""The one exception type of the ABC notation core, carrying a 1-based line and column."""

from __future__ import annotations


class ABCError(ValueError):
    """A problem in ABC text at ``line``/``column`` (both 1-based).

    ``severity`` is ``"error"`` for text the lexer cannot read and ``"warning"`` for readable
    but suspicious music (a bar of the wrong length); :func:`validate` reports both.
    """

    def __init__(
        self, message: str, line: int = 1, column: int = 1, severity: str = "error"
    ) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column
        self.severity = severity

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    def __repr__(self) -> str:
        return f"ABCError({self.message!r}, {self.line}, {self.column})"

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.line, self.column, self.severity))

    def shifted(self, lines: int) -> ABCError:
        """The same error with its line moved down by ``lines`` (body -> file coordinates)."""
        return ABCError(self.message, self.line + lines, self.column, self.severity)
