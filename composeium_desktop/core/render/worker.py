"""The render worker process: owns one Engraver (Verovio) and answers requests on a Connection.

`serve` is the target of a `multiprocessing` process started with the "spawn" method (the
same on Linux, macOS and Windows) by core.render.Renderer. Requests and answers are pickled
tuples sent over a `multiprocessing.connection` Pipe, which works on every platform (no
`select` on a pipe). The worker's stdout and stderr are pointed at the null device so that
anything Verovio or a library prints cannot disturb the parent. If Verovio crashes this
process, the parent notices the closed connection and starts a new worker.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol


class EngraverLike(Protocol):
    """What the worker needs of an engraver (core.render.engraver.Engraver)."""

    def render(self, abc: str, options: dict[str, Any]) -> dict[str, Any]: ...

    def perform(self, abc: str, options: dict[str, Any]) -> dict[str, Any]: ...


def _silence_output() -> None:
    """Point file descriptors 1 and 2 at the null device (Verovio prints from C++)."""
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def _detach() -> None:
    """Leave the terminal's process group, so Ctrl+C in a terminal stops the parent only."""
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()


def serve(conn: Connection, engraver_factory: Callable[[], EngraverLike] | None = None) -> None:
    """Answer (request_id, kind, abc, options) requests until the connection closes."""
    _detach()
    _silence_output()
    from composeium_desktop.core.render.engraver import EngraveError, Engraver

    engraver: EngraverLike = (engraver_factory or Engraver)()
    conn.send(("ready", None, None))
    while True:
        try:
            request_id, kind, abc, options = conn.recv()
        except (EOFError, OSError):
            return
        answer: tuple[str, Any]
        try:
            if kind == "render":
                answer = ("ok", engraver.render(abc, options))
            elif kind == "perform":
                answer = ("ok", engraver.perform(abc, options))
            elif kind == "ping":
                answer = ("ok", None)
            else:
                answer = ("error", (f"unknown request {kind!r}", None, None))
        except EngraveError as exc:
            answer = ("error", (str(exc), exc.line, exc.col))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, never swallowed
            answer = ("error", (f"the engraver failed: {type(exc).__name__}: {exc}", None, None))
        try:
            conn.send((request_id, *answer))
        except (BrokenPipeError, OSError):
            return
