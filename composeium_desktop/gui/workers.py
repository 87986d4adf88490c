"""Background work for the GUI: model loading and generation, rendering, exports, audio position.

Rules kept here: generation and the model live on one dedicated thread; render requests
coalesce (the latest ABC wins); only immutable values (frozen dataclasses, str, int, tuples)
travel in signals; every error is turned into a signal carrying a message; shutdown() stops a
worker and waits for it. Every worker registers itself so tests can prove none is left running.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, QTimer, Signal, Slot
from shiboken6 import Shiboken

_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()


def running_workers() -> list[str]:
    """Names of workers whose thread is still running (empty once everything has shut down)."""
    return [w.worker_name() for w in list(_LIVE) if Shiboken.isValid(w) and w.is_running()]


def single_shot_timer(parent: QObject, interval_ms: int) -> QTimer:
    """A single-shot QTimer. Built with setters: PySide6 6.12 mis-counts references of a
    `singleShot=True` constructor keyword and the interpreter aborts at exit."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    return timer


def describe_error(exc: BaseException) -> str:
    """One line for the user: the exception's own message, its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class GenerationOutcome:
    """How a generation job ended: the finished tune, or cancelled with the text so far."""

    abc: str | None
    body: str
    cancelled: bool
    note: str = ""  # what finishing the tune could not do (e.g. chords), kept as written


@dataclass(frozen=True)
class RenderFailure:
    """A render that failed: the message and, where known, the 1-based line and column."""

    message: str
    line: int | None = None
    column: int | None = None


class _GenerationWorker(QObject):
    """Lives on the generation thread; slots run there one at a time, in the order queued."""

    model_ready = Signal(str)
    model_failed = Signal(str)
    step = Signal(int, object)
    finished = Signal(int, object)
    variations_ready = Signal(int, object)
    job_progress = Signal(int, int, int)
    job_done = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, load_generator: Callable[[Path | None], Any]) -> None:
        super().__init__()
        self._load_generator = load_generator
        self._generator: Any = None
        self.cancelled_upto = 0
        self.stopping = False

    def _is_cancelled(self, job_id: int) -> bool:
        return self.stopping or job_id <= self.cancelled_upto

    @Slot(object)
    def load(self, model_dir: Path | None) -> None:
        try:
            self._generator = self._load_generator(model_dir)
        except Exception as exc:  # shown to the user by the window
            self.model_failed.emit(describe_error(exc))
            return
        self.model_ready.emit(str(model_dir) if model_dir else "shipped model")

    @Slot(int, object, object)
    def generate(self, job_id: int, request: Any, finish: Any) -> None:
        """Writes the tune; ``finish`` (or None) turns the finished tune's text into the one
        shown, here on the generation thread, as (text, note)."""
        if self._generator is None:
            self.failed.emit(job_id, "The model is not loaded.")
            return
        last = None
        try:
            for step in self._generator.generate(request, lambda: self._is_cancelled(job_id)):
                if self._is_cancelled(job_id):
                    break
                last = step
                self.step.emit(job_id, step)
                if step.done:
                    break
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(job_id, describe_error(exc))
            return
        done = last is not None and last.done and not self._is_cancelled(job_id)
        body = last.body if last is not None else ""
        abc, note = (last.abc if done and last is not None else None), ""
        if abc is not None and finish is not None:
            try:
                abc, note = finish(abc)
            except Exception as exc:  # the tune stays as written; the window shows why
                note = f"The new tune was kept as written: {describe_error(exc)}"
        self.finished.emit(job_id, GenerationOutcome(abc, body, not done, note))

    @Slot(int, object, int)
    def variations(self, job_id: int, request: Any, count: int) -> None:
        if self._generator is None:
            self.failed.emit(job_id, "The model is not loaded.")
            return
        try:
            results = self._generator.variations(
                request, count, rank=True, cancelled=lambda: self._is_cancelled(job_id)
            )
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(job_id, describe_error(exc))
            return
        if self._is_cancelled(job_id):
            return
        self.variations_ready.emit(job_id, tuple((str(a), float(lp)) for a, lp in results))

    @Slot(int, object)
    def run_job(self, job_id: int, function: Any) -> None:
        """``function(generator, cancelled, progress)`` here, with the loaded model; its result
        (immutable) comes back in job_done, ``progress(done, total)`` in job_progress."""
        if self._generator is None:
            self.failed.emit(job_id, "The model is not loaded.")
            return
        try:
            result = function(
                self._generator,
                lambda: self._is_cancelled(job_id),
                lambda done, total: self.job_progress.emit(job_id, done, total),
            )
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(job_id, describe_error(exc))
            return
        self.job_done.emit(job_id, result)


class GenerationService(QObject):
    """The GUI-side handle of the generation thread.

    Jobs get increasing ids; cancel() cancels every job issued so far at once (results of a
    cancelled job that are already queued are dropped here, so Stop takes effect immediately).
    """

    model_state_changed = Signal(str, str)  # state ("loading"|"ready"|"failed"|"missing"), detail
    step = Signal(object)
    finished = Signal(object)
    variations_ready = Signal(object)
    job_progress = Signal(int, int)  # done, total (a job run with run())
    job_done = Signal(object)  # the result of a job run with run()
    failed = Signal(str)
    job_ended = Signal(int)  # every job, cancelled or not, once its last signal has arrived

    _load = Signal(object)
    _generate = Signal(int, object, object)
    _variations = Signal(int, object, int)
    _run = Signal(int, object)

    def __init__(
        self, load_generator: Callable[[Path | None], Any], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("composeium-generation")
        self._worker = _GenerationWorker(load_generator)
        self._worker.moveToThread(self._thread)
        self._load.connect(self._worker.load)
        self._generate.connect(self._worker.generate)
        self._variations.connect(self._worker.variations)
        self._run.connect(self._worker.run_job)
        self._worker.model_ready.connect(self._on_ready)
        self._worker.model_failed.connect(self._on_failed)
        self._worker.step.connect(self._relay_step)
        self._worker.finished.connect(self._relay_finished)
        self._worker.variations_ready.connect(self._relay_variations)
        self._worker.job_progress.connect(self._relay_progress)
        self._worker.job_done.connect(self._relay_done)
        self._worker.failed.connect(self._relay_failed)
        self._job = 0
        self.model_state = "idle"
        self._thread.start()
        _LIVE.add(self)

    def worker_name(self) -> str:
        return "generation"

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def load_model(self, model_dir: Path | None) -> None:
        self.model_state = "loading"
        self.model_state_changed.emit("loading", "")
        self._load.emit(model_dir)

    def set_model_missing(self, detail: str) -> None:
        self.model_state = "missing"
        self.model_state_changed.emit("missing", detail)

    def generate(self, request: Any, finish: Callable[[str], tuple[str, str]] | None = None) -> int:
        """Queue a tune; ``finish`` runs on the generation thread on the finished text."""
        self._job += 1
        self._generate.emit(self._job, request, finish)
        return self._job

    def variations(self, request: Any, count: int) -> int:
        self._job += 1
        self._variations.emit(self._job, request, count)
        return self._job

    def run(
        self, function: Callable[[Any, Callable[[], bool], Callable[[int, int], None]], Any]
    ) -> int:
        """Queue ``function(generator, cancelled, progress)`` for the generation thread (it
        may read only immutable data); its result arrives in job_done."""
        self._job += 1
        self._run.emit(self._job, function)
        return self._job

    def cancel(self) -> None:
        self._worker.cancelled_upto = self._job

    def shutdown(self) -> None:
        """Cancel everything, stop the thread and wait for it."""
        self._worker.stopping = True
        self.cancel()
        self._thread.quit()
        self._thread.wait()

    def _current(self, job_id: int) -> bool:
        return job_id == self._job and job_id > self._worker.cancelled_upto

    def _on_ready(self, detail: str) -> None:
        self.model_state = "ready"
        self.model_state_changed.emit("ready", detail)

    def _on_failed(self, message: str) -> None:
        self.model_state = "failed"
        self.model_state_changed.emit("failed", message)

    def _relay_step(self, job_id: int, step: Any) -> None:
        if self._current(job_id):
            self.step.emit(step)

    def _relay_finished(self, job_id: int, outcome: GenerationOutcome) -> None:
        if self._current(job_id):
            self.finished.emit(outcome)
        self.job_ended.emit(job_id)

    def _relay_variations(self, job_id: int, results: tuple) -> None:
        if self._current(job_id):
            self.variations_ready.emit(results)
        self.job_ended.emit(job_id)

    def _relay_progress(self, job_id: int, done: int, total: int) -> None:
        if self._current(job_id):
            self.job_progress.emit(done, total)

    def _relay_done(self, job_id: int, result: object) -> None:
        if self._current(job_id):
            self.job_done.emit(result)
        self.job_ended.emit(job_id)

    def _relay_failed(self, job_id: int, message: str) -> None:
        if job_id == self._job:
            self.failed.emit(message)
        self.job_ended.emit(job_id)


class RenderWorker(QThread):
    """Owns the core Renderer; renders the most recent request, dropping the stale ones.

    rendered(request_id, RenderResult) / failed(request_id, RenderFailure).
    """

    rendered = Signal(int, object)
    failed = Signal(int, object)

    def __init__(self, make_renderer: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composeium-render")
        self._make_renderer = make_renderer
        self._condition = threading.Condition()
        self._pending: tuple[int, str, Any] | None = None
        self._next_id = 0
        self._stopping = False
        self._warm = False
        _LIVE.add(self)

    def worker_name(self) -> str:
        return "render"

    def is_running(self) -> bool:
        return self.isRunning()

    def request(self, abc: str, options: Any) -> int:
        """Queue a render; an unstarted older request is replaced. Returns the request id."""
        with self._condition:
            self._next_id += 1
            self._pending = (self._next_id, abc, options)
            self._condition.notify()
        if not self.isRunning() and not self._stopping:
            self.start()
        return self._next_id

    @property
    def latest_id(self) -> int:
        return self._next_id

    def warm_up(self) -> None:
        """Start the engraver now, so the first score is not kept waiting for it."""
        with self._condition:
            self._warm = True
        if not self.isRunning() and not self._stopping:
            self.start()

    def shutdown(self) -> None:
        with self._condition:
            self._stopping = True
            self._pending = None
            self._condition.notify()
        self.wait()

    def run(self) -> None:
        renderer = None
        try:
            if self._warm:
                renderer = self._make_renderer()
                start = getattr(renderer, "start", None)
                if start is not None:
                    with contextlib.suppress(Exception):  # a failed start shows at the render
                        start()
            while True:
                with self._condition:
                    while self._pending is None and not self._stopping:
                        self._condition.wait()
                    pending = self._pending
                    if self._stopping or pending is None:
                        return
                    request_id, abc, options = pending
                    self._pending = None
                try:
                    if renderer is None:
                        renderer = self._make_renderer()
                    result = renderer.render(abc, options)
                except Exception as exc:
                    self.failed.emit(
                        request_id,
                        RenderFailure(
                            describe_error(exc),
                            getattr(exc, "line", None),
                            getattr(exc, "col", None),
                        ),
                    )
                    continue
                self.rendered.emit(request_id, result)
        finally:
            if renderer is not None:
                try:
                    renderer.close()
                except Exception:
                    traceback.print_exc()


class _TaskSignals(QObject):
    succeeded = Signal(int, object)
    failed = Signal(int, str)


class _Task(QRunnable):
    def __init__(self, task_id: int, function: Callable[[], Any], signals: _TaskSignals) -> None:
        super().__init__()
        self._id = task_id
        self._function = function
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._function()
        except Exception as exc:
            self._signals.failed.emit(self._id, describe_error(exc))
            return
        self._signals.succeeded.emit(self._id, result)


class TaskRunner(QObject):
    """Runs one-off jobs (exports, audio preparation) one at a time off the GUI thread.

    The callables must only read immutable inputs; their result is handed back in succeeded.
    """

    succeeded = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _TaskSignals()
        self._signals.succeeded.connect(self.succeeded)
        self._signals.failed.connect(self.failed)
        self._next_id = 0
        _LIVE.add(self)

    def worker_name(self) -> str:
        return self._name

    def is_running(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def submit(self, function: Callable[[], Any]) -> int:
        self._next_id += 1
        self._pool.start(_Task(self._next_id, function, self._signals))
        return self._next_id

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone()


class PlayerAdapter(QObject):
    """Turns the core player's listener calls (made on the audio thread) into Qt signals.

    A signal emitted from a foreign thread is queued to receivers on the GUI thread, so the
    listeners do nothing but emit the immutable PlaybackPosition they are given.
    """

    position_changed = Signal(object)
    finished = Signal()
    error = Signal(str)

    def attach(self, player: Any) -> None:
        player.add_position_listener(self.position_changed.emit)
        player.add_finished_listener(self.finished.emit)
        if hasattr(player, "add_error_listener"):
            player.add_error_listener(lambda exc: self.error.emit(describe_error(exc)))
