"""The engraver `composeium gui` starts before the window engraves a small tune once it has
started, so that Verovio's one-time set-up is not paid by the user's first score."""

from __future__ import annotations

import threading
import time
from typing import Any

from composeium_desktop.commands.gui import WARM_UP_TUNE, start_engraver


class _RecordingRenderer:
    made: list[_RecordingRenderer] = []

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()
        _RecordingRenderer.made.append(self)

    def start(self) -> None:
        with self.lock:
            self.calls.append("start")

    def render(self, abc: str, options: Any = None) -> None:
        with self.lock:
            self.calls.append(abc)


def test_the_early_engraver_starts_then_engraves_the_warm_up_tune(monkeypatch) -> None:
    import composeium_desktop.core.render as render

    monkeypatch.setattr(render, "Renderer", _RecordingRenderer)
    renderer = start_engraver()
    deadline = time.monotonic() + 10
    while len(renderer.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert renderer.calls == ["start", WARM_UP_TUNE]


def test_the_warm_up_tune_engraves_with_verovio() -> None:
    from composeium_desktop.core.render import Renderer

    with Renderer() as renderer:
        result = renderer.render(WARM_UP_TUNE)
    assert result.pages and len(result.timemap) == 12
