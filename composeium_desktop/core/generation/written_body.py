"""The normalised body one run has written so far, and everything that follows it token by
token: the constraints' state (``BodyState``), the metric features the decoder reads, the bars
already transposed into the user's key, the token log-likelihoods, and the point at the end of
the last completed bar that the run can go back to (``Snapshot``).

It also closes the body when the run stops (the length limit or a dead end: fill the bar with
a rest, or go back to the last complete bar) and gives the body as the user sees it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from composeium_desktop.core.features.metric import MetricTracker
from composeium_desktop.core.generation.constraints import BodyState
from composeium_desktop.core.generation.piece_table import (
    PieceTable,
    complete_bar_line,
    rest_completion,
)
from composeium_desktop.core.generation.transposer import BarTransposer

MIN_BARS = 4
PARTIAL_REFRESH_S = 0.015


def new_body_state(meter: str) -> BodyState:
    """The constraints' state at the start of a body: "|]" only after MIN_BARS bars."""
    state = BodyState(meter)
    state.min_bars = MIN_BARS
    return state


@dataclass
class Snapshot:
    """Everything needed to resume from the end of a completed bar."""

    raw_len: int
    state: BodyState
    metric: MetricTracker
    token: int
    position: int
    transposed: tuple[int, int]
    n_logprobs: int


class WrittenBody:
    """The text so far (``raw``: the model's pieces, normalised key) and what follows it.

    ``safe_len`` is how much of ``raw`` ends before any unfinished element (what may be
    transposed and shown); ``snapshot`` the resuming point at the last completed bar.
    """

    def __init__(
        self,
        table: PieceTable,
        pieces: Sequence[str],
        meter: str,
        transposer: BarTransposer,
        metric: MetricTracker,
        constrained: bool,
    ) -> None:
        self.table = table
        self.pieces = pieces
        self.constrained = constrained
        self.transposer = transposer
        self.state = new_body_state(meter)
        self.metric = metric
        self.raw = ""
        self.safe_len = 0
        self.logprobs: list[float] = []
        self.snapshot: Snapshot | None = None
        # Where in ``raw`` each written bar ends, by the bars written then (``form_bars``; 0:
        # the start, or the end of a pickup). A rollback leaves the bars before it as they were.
        self.bar_ends: dict[int, int] = {0: 0}
        self._partial = ""
        self._partial_head = -1
        self._partial_time = 0.0

    def accept(self, token: int, next_position: int, checked: BodyState | None = None) -> None:
        """Append `token`; at the end of a completed bar, remember it as the resuming point.
        ``checked``: the state the constraints already found `token` leads to from this one
        (not fed again)."""
        text = self.pieces[token]
        self.raw += text
        self.metric = self.metric.feed(text)
        if not self.constrained:
            self.safe_len = len(self.raw)
            return
        state = checked if checked is not None else self.table.accepts(self.state, token)
        if state is None:
            raise ValueError("prime is not valid ABC (rejected by the constraints)")
        self.state = state
        self.bar_ends[state.form_bars] = state.bar_end_at
        if state.mode in ("top", "note", "bar"):
            self.safe_len = len(self.raw)
        bar_ended = state.bar_end_at > self.transposer.done_raw or state.mode == "bar"
        self.transposer.complete_to(self.raw, state.bar_end_at)
        if not bar_ended:
            return
        settled = state.settled()
        if settled is not None and settled.at_bar_start and settled.bars_done >= 1:
            self.mark_resume(token, next_position)

    def mark_resume(self, token: int, position: int) -> None:
        """The text as it is now becomes the point a rollback returns to."""
        self.snapshot = Snapshot(
            len(self.raw),
            self.state.clone(),
            self.metric,
            token,
            position,
            self.transposer.mark(),
            len(self.logprobs),
        )

    def restore(self, snap: Snapshot) -> None:
        self.raw = self.raw[: snap.raw_len]
        self.safe_len = min(self.safe_len, snap.raw_len)
        self.state = snap.state.clone()
        self.metric = snap.metric
        self.transposer.rollback(snap.transposed)
        del self.logprobs[snap.n_logprobs :]

    def close(self) -> None:
        """Makes the raw body end on a section-final bar line (length limit or dead end):
        fill a well-advanced bar with a rest, else go back to the last complete bar."""
        if self.state.can_end():
            return
        settled = self.state.settled()
        half_full = settled is not None and 2 * settled.pos >= settled.bar_len
        ending = rest_completion(self.state)
        no_bars = self.snapshot is None or self.snapshot.state.bars_done == 0
        if ending is not None and (half_full or no_bars):
            self.raw += ending
            self.state.feed(ending)
            return
        snap = self.snapshot
        if snap is not None:
            self.restore(snap)
        settled = self.state.settled()
        if settled is None or settled.bars_done == 0:
            # Not one complete bar (a tiny budget or an untrained model): a bar's rest.
            self.transposer.rollback((0, 0))
            self.raw = f"z{self.state.bar_len}|]"
            return
        full = "".join(self.transposer.done_out)
        full += self.transposer(self.raw[self.transposer.done_raw :])
        self.raw = complete_bar_line(self.raw)
        self.transposer.done_out = [complete_bar_line(full)]
        self.transposer.done_raw = len(self.raw)

    def shown(self) -> str:
        """Completed bars (always current) plus the bar being written, transposed at most
        every PARTIAL_REFRESH_S: the steps stream faster than a screen can show them, and
        transposing the unfinished bar for every token would cost more than the model step."""
        now = time.perf_counter()
        head_len = self.transposer.done_raw
        if head_len != self._partial_head or now - self._partial_time >= PARTIAL_REFRESH_S:
            try:
                self._partial = self.transposer.body(self.raw, self.safe_len)
            except ValueError:
                self._partial = "".join(self.transposer.done_out)
            self._partial_head = head_len
            self._partial_time = now
        return self._partial

    def final(self) -> str:
        """The whole body in the user's key, ending on "|]" or ":|" (closed first when
        constrained; ``raw`` then ends the same way)."""
        if not self.constrained:
            return self.transposer(self.raw)
        self.close()
        body = "".join(self.transposer.done_out)
        body += self.transposer(self.raw[self.transposer.done_raw :])
        # The model may end on "||" or ":||"; the tune ends on "|]" or ":|".
        self.raw = complete_bar_line(self.raw)
        return complete_bar_line(body)
