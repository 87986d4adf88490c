"""The render worker process: owns one Engraver (Verovio) and answers framed pickle requests.

Run as `python -m composeium_desktop.core.render.worker`. Requests arrive on stdin, answers
leave on a private duplicate of the original stdout; file descriptor 1 is pointed at stderr so
that anything Verovio or a library prints cannot corrupt the protocol. If Verovio crashes this
process, the parent (core.render.Renderer) notices the closed pipe and starts a new worker.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import Any, BinaryIO

_HEADER = struct.Struct(">I")


def read_message(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("pipe closed")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("pipe closed")
    return pickle.loads(data)


def write_message(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    from composeium_desktop.core.render.engraver import EngraveError, Engraver

    engraver = Engraver()
    write_message(out, ("ready", None, None))
    while True:
        try:
            request_id, kind, abc, options = read_message(inp)
        except EOFError:
            return 0
        try:
            if kind == "render":
                answer = ("ok", engraver.render(abc, options))
            elif kind == "perform":
                answer = ("ok", engraver.perform(abc, options))
            elif kind == "ping":
                answer = ("ok", None)
            elif kind == "_abort":
                os.abort()  # lets tests prove that a dying engraver is survived
            elif kind == "_sleep":
                import time

                time.sleep(float(options.get("seconds", 60)))  # lets tests exercise timeouts
                answer = ("ok", None)
            else:
                answer = ("error", (f"unknown request {kind!r}", None, None))
        except EngraveError as exc:
            answer = ("error", (str(exc), exc.line, exc.col))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, never swallowed
            answer = ("error", (f"the engraver failed: {type(exc).__name__}: {exc}", None, None))
        write_message(out, (request_id, *answer))


if __name__ == "__main__":
    raise SystemExit(main())
