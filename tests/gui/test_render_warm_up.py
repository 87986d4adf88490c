"""The render worker's warm-up: an engraver with a process to start engraves a small tune at
once, so that Verovio's one-time set-up is not paid by the user's first score; a request that
is already waiting goes first, with no warm-up before it."""

from __future__ import annotations

import threading
from typing import Any

from composeium_desktop.gui.workers import WARM_UP_TUNE, RenderWorker


class _StartedRenderer:
    """Records what it is asked to engrave; `gate` holds start() until the test lets it go."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.rendered: list[str] = []

    def start(self) -> None:
        self.gate.wait(10)

    def render(self, abc: str, options: Any = None) -> str:
        self.rendered.append(abc)
        return abc

    def close(self) -> None:
        pass


def test_a_started_engraver_engraves_the_warm_up_tune_first(qtbot) -> None:
    renderer = _StartedRenderer()
    renderer.gate.set()
    worker = RenderWorker(lambda: renderer)
    try:
        worker.warm_up()
        qtbot.waitUntil(lambda: renderer.rendered == [WARM_UP_TUNE], timeout=10_000)
        with qtbot.waitSignal(worker.rendered, timeout=10_000) as done:
            worker.request("X:1\nK:D\nDEF|]\n", None)
        assert done.args[1] == "X:1\nK:D\nDEF|]\n"
        assert renderer.rendered == [WARM_UP_TUNE, "X:1\nK:D\nDEF|]\n"]
    finally:
        worker.shutdown()


def test_a_waiting_request_goes_before_any_warm_up(qtbot) -> None:
    renderer = _StartedRenderer()
    worker = RenderWorker(lambda: renderer)
    try:
        worker.warm_up()
        worker.request("X:1\nK:D\nDEF|]\n", None)
        with qtbot.waitSignal(worker.rendered, timeout=10_000):
            renderer.gate.set()
        assert renderer.rendered == ["X:1\nK:D\nDEF|]\n"]
    finally:
        worker.shutdown()
