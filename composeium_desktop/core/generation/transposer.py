"""Incremental transposition of the body the model writes, bar by bar, into the user's key.

The model writes in the normalised key of the mode (tonic C); the notation core transposes each
completed bar once as it is written, so every step's body is already in the requested key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from composeium_desktop.core.abcnotation import transpose_body


@dataclass
class BarTransposer:
    """Transposes the normalised body bar by bar (accidentals never outlive a bar, so bars
    transpose independently); each completed bar is transposed once."""

    semitones: int
    from_key: str
    to_key: str
    done_raw: int = 0
    done_out: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> str:
        if not text.strip():
            return text
        return transpose_body(text, self.semitones, self.from_key, self.to_key)

    def complete_to(self, raw: str, end: int) -> None:
        """raw[:end] is a whole number of bars: transpose the new ones."""
        if end > self.done_raw:
            self.done_out.append(self(raw[self.done_raw : end]))
            self.done_raw = end

    def mark(self) -> tuple[int, int]:
        return self.done_raw, len(self.done_out)

    def rollback(self, mark: tuple[int, int]) -> None:
        self.done_raw = mark[0]
        del self.done_out[mark[1] :]

    def body(self, raw: str, end: int) -> str:
        """Completed bars plus the current bar up to `end` (before any unfinished element)."""
        head = "".join(self.done_out)
        if end <= self.done_raw:
            return head
        return head + self(raw[self.done_raw : end])
