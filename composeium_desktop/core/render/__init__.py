"""Engraving: ABC -> Qt-displayable SVG pages, a timemap and source positions, crash-isolated.

Verovio runs in a persistent worker process (core.render.worker) owned by a `Renderer`. If a
malformed tune kills that process, the request fails with a `RenderError` and the next request
starts a fresh worker; the calling process never dies. Obvious structural errors are rejected
before Verovio sees them, with their line and column.

Typical use::

    with Renderer() as renderer:
        result = renderer.render(abc_text, RenderOptions(zoom=40))
        result.pages[0]        # SVG text for QSvgRenderer
        result.timemap         # TimedElement(id, on_ms, off_ms), repeats expanded
        result.positions[id]   # (line, column) of that note in abc_text
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from composeium_desktop.core.errors import PositionedError
from composeium_desktop.core.render.scan import first_tune, scan_tune
from composeium_desktop.core.render.worker import EngraverLike, serve

__all__ = [
    "Performance",
    "RenderError",
    "RenderOptions",
    "RenderResult",
    "Renderer",
    "TimedElement",
    "benchmark_render",
    "check_tune",
    "shared_renderer",
]


class RenderError(PositionedError):
    """A tune that could not be engraved; `line`/`col` are 1-based when known."""


@dataclass(frozen=True)
class RenderOptions:
    """How to engrave.

    page_width/page_height: layout units (a tenth of a millimetre at zoom 100; A4 is
    2100 x 2970). zoom: percent; the SVG's pixel width is page_width * zoom / 100, so a view
    W pixels wide fits page_width = W * 100 / zoom. transpose: semitones, up or down.
    adjust_page_height: shrink each page to its content (screen) or keep the paper height.
    page_margin: margin on every side, in layout units.
    """

    page_width: int = 2100
    zoom: int = 40
    transpose: int = 0
    page_height: int = 2970
    adjust_page_height: bool = True
    page_margin: int = 50


@dataclass(frozen=True)
class TimedElement:
    """An engraved element (note or rest id, as in the SVG) sounding from on_ms to off_ms."""

    id: str
    on_ms: float
    off_ms: float


@dataclass(frozen=True)
class RenderResult:
    pages: tuple[str, ...]
    timemap: tuple[TimedElement, ...]
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    page_of: dict[str, int] = field(default_factory=dict)
    tempo: float = 120.0

    def element_at(self, line: int, col: int) -> str | None:
        """The engraved note/rest at or just before an editor position (for cursor syncing)."""
        best: tuple[tuple[int, int], str] | None = None
        for element_id, position in self.positions.items():
            if position <= (line, col) and (best is None or position > best[0]):
                best = (position, element_id)
        return best[1] if best else None


@dataclass(frozen=True)
class Performance:
    """What to play: notes as (element id, on_ms, off_ms, MIDI pitch, is_grace), ties merged.

    Times are at the tune's own tempo `bpm` (quarter notes per minute), repeats and endings
    expanded. `key` is (sharps, mode) with sharps < 0 for flats; `meter` is (count, unit).
    """

    notes: tuple[tuple[str, float, float, int, bool], ...]
    timemap: tuple[TimedElement, ...]
    bpm: float
    meter: tuple[int, int] | None
    key: tuple[int, str]
    title: str
    duration_ms: float
    # (line, column) of each note/rest id in the tune's text (its first tune): what ties a
    # chord symbol in the text to the times its next note sounds (core.harmony.backing).
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)


def check_tune(abc: str) -> None:
    """Raise RenderError (with line and column) for ABC that is clearly broken.

    Only what the notation core's lexer cannot read is refused (its messages are the ones the
    editor shows): Verovio's importer crashes or loses music on such bodies. Warnings (bar
    lengths, ABC 2.0 habits, a header value the core reads no key from) never stop a render.
    """
    scan = scan_tune(first_tune(abc))
    if not scan.has_key:
        raise RenderError("the tune has no K: (key) line, so it has no body", 1, 1)
    if scan.error is not None:
        raise RenderError(scan.error.message, scan.error.line, scan.error.col)


class Renderer:
    """A persistent, crash-isolated Verovio worker. Thread-safe; one request at a time.

    Each request engraves the first tune in the text (up to a blank line or the next X:).
    """

    def __init__(
        self,
        timeout_s: float = 30.0,
        start_timeout_s: float = 60.0,
        engraver_factory: Callable[[], EngraverLike] | None = None,
    ) -> None:
        """`engraver_factory` (a picklable callable, default the Verovio Engraver) builds the
        worker's engraver inside the worker process."""
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.restarts = 0
        self._engraver_factory = engraver_factory
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._next_id = 0

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Not contextlib.suppress: at interpreter shutdown modules may already be gone.
        try:
            self._stop()
        except Exception:  # noqa: BLE001
            self._proc = None

    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def start(self) -> None:
        """Start the worker now (it otherwise starts with the first request)."""
        with self._lock:
            self._ensure_started()

    def render(self, abc: str, options: RenderOptions | None = None) -> RenderResult:
        answer = self._request("render", abc, asdict(options or RenderOptions()))
        return RenderResult(
            pages=tuple(answer["pages"]),
            timemap=tuple(TimedElement(*t) for t in answer["timemap"]),
            positions=dict(answer["positions"]),
            page_of=dict(answer["page_of"]),
            tempo=float(answer["tempo"]),
        )

    def perform(self, abc: str, transpose: int = 0) -> Performance:
        answer = self._request("perform", abc, {"transpose": transpose})
        return Performance(
            notes=tuple(tuple(n) for n in answer["notes"]),
            timemap=tuple(TimedElement(*t) for t in answer["timemap"]),
            bpm=float(answer["bpm"]),
            meter=answer["meter"],
            key=answer["key"],
            title=answer["title"],
            duration_ms=float(answer["duration_ms"]),
            positions={k: (int(v[0]), int(v[1])) for k, v in answer.get("positions", {}).items()},
        )

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _request(self, kind: str, abc: str, options: dict[str, Any]) -> dict[str, Any]:
        check_tune(abc)
        with self._lock:
            self._ensure_started()
            self._next_id += 1
            request_id = self._next_id
            try:
                self._send((request_id, kind, abc, options))
                reply = self._receive(self.timeout_s)
            except _WorkerDied as died:
                self._stop()
                self.restarts += 1
                raise RenderError(
                    f"the engraver crashed on this input ({died}); check the tune for "
                    "notation errors"
                ) from None
            except TimeoutError:
                self._stop()
                self.restarts += 1
                raise RenderError(
                    f"the engraver took longer than {self.timeout_s:g} s and was stopped"
                ) from None
        reply_id, status, payload = reply
        if status == "error":
            message, line, col = payload
            raise RenderError(message, line, col)
        return payload

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._stop()
        # "spawn" everywhere: the worker never inherits the parent's threads or Qt state, and
        # Linux behaves as macOS and Windows do.
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        proc = context.Process(
            target=serve,
            args=(child_end, self._engraver_factory),
            name="composeium-render-worker",
            daemon=True,
        )
        proc.start()
        child_end.close()
        self._proc, self._conn = proc, parent_end
        try:
            ready = self._receive(self.start_timeout_s)
        except (_WorkerDied, TimeoutError) as exc:
            self._stop()
            raise RenderError(f"the engraver could not start ({exc})") from None
        if ready[0] != "ready":
            self._stop()
            raise RenderError("the engraver could not start (bad handshake)")

    def _send(self, message: Any) -> None:
        assert self._conn is not None
        try:
            self._conn.send(message)
        except (BrokenPipeError, EOFError, OSError):
            raise _WorkerDied(self._exit_reason()) from None

    def _receive(self, timeout_s: float) -> Any:
        """The worker's next message; TimeoutError when none comes within `timeout_s`."""
        assert self._conn is not None
        try:
            ready = self._conn.poll(max(0.0, timeout_s))
            message = self._conn.recv() if ready else None
        except (EOFError, OSError):
            raise _WorkerDied(self._exit_reason()) from None
        if not ready:
            raise TimeoutError("no answer in time")
        return message

    def _exit_reason(self) -> str:
        assert self._proc is not None
        self._proc.join(timeout=2)
        code = self._proc.exitcode
        if code is None:
            return "the worker stopped answering"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if proc is None:
            return
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        with contextlib.suppress(ValueError):
            proc.close()


class _WorkerDied(Exception):
    pass


_shared: Renderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> Renderer:
    """One worker for the whole process (exports, CLI, playback), closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Renderer()
            atexit.register(_shared.close)
        return _shared


def benchmark_render(abc: str | None = None, runs: int = 30) -> dict[str, float]:
    """Re-render timings of a tune (default: a bundled 32-bar reel with endings), worker warm.

    `median_ms` is wall-clock time per render as the caller sees it. `cpu_ms` is the CPU time
    the worker and the caller spent per render: what a render costs on an idle machine, even
    when other processes share the CPU during the measurement.
    """
    import psutil

    from composeium_desktop.core.render.bench_tune import BENCH_TUNE

    text = abc or BENCH_TUNE
    with Renderer() as renderer:
        renderer.render(text)
        worker = psutil.Process(renderer.worker_pid)
        me = psutil.Process()
        cpu_start = sum(worker.cpu_times()[:2]) + sum(me.cpu_times()[:2])
        times = []
        for _ in range(max(1, runs)):
            t0 = time.perf_counter()
            renderer.render(text)
            times.append((time.perf_counter() - t0) * 1000.0)
        cpu = sum(worker.cpu_times()[:2]) + sum(me.cpu_times()[:2]) - cpu_start
    times.sort()
    return {
        "median_ms": times[len(times) // 2],
        "min_ms": times[0],
        "max_ms": times[-1],
        "cpu_ms": cpu * 1000.0 / len(times),
        "runs": float(len(times)),
    }
