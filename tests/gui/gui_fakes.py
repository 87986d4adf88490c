"""Stand-ins for the core services, for GUI tests that check the window's own behaviour
(streaming, cancel, coalescing, error display) independently of model and engraver speed."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.gui.services import CoreServices

TUNE_BODY = "|:d2e f2g|a2f d3|B2c d2e|f3 e3:|\n|:f2g a2b|a2f d3|g2e c2e|d3 d3:|\n"


@dataclass(frozen=True)
class FakeStep:
    token: str
    body: str
    index: int
    done: bool
    abc: str | None


class FakeGenerator:
    """Writes TUNE_BODY one character per step; `gate` lets a test hold the stream mid-way."""

    def __init__(self, gate: threading.Event | None = None, hold_after: int = 10**9) -> None:
        self.gate = gate or threading.Event()
        self.hold_after = hold_after
        self.requests: list[Any] = []

    def generate(self, request: Any, cancelled: Callable[[], bool]) -> Iterator[FakeStep]:
        self.requests.append(request)
        body = re.split(r"(?m)^K:.*\n", request.prime)[-1]  # like the core: a tune's body
        for index, char in enumerate(TUNE_BODY):
            if index == self.hold_after:
                while not self.gate.wait(0.01):
                    if cancelled():
                        return
            if cancelled():
                return
            body += char
            yield FakeStep(char, body, index, False, None)
        abc = f"X:1\nT:{request.title}\nM:{request.meter}\nL:1/8\nR:{request.genre}\nK:{request.key}\n{body}"
        yield FakeStep("", body, len(TUNE_BODY), True, abc)

    def variations(
        self,
        request: Any,
        n: int,
        rank: bool = True,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[tuple[str, float]]:
        return [(f"X:{i + 1}\nT:Variation {i + 1}\nK:D\n{TUNE_BODY}", -10.0 - i) for i in range(n)]


@dataclass(frozen=True)
class FakeTimed:
    id: str
    on_ms: float
    off_ms: float


@dataclass(frozen=True)
class FakeResult:
    pages: tuple[str, ...]
    timemap: tuple[FakeTimed, ...]
    positions: dict[str, tuple[int, int]]
    page_of: dict[str, int]


class FakeRenderError(Exception):
    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.line, self.col = line, col


@dataclass
class FakeRenderer:
    """Draws one black rectangle per note letter; '#' in the text is a render error."""

    calls: list[str] = field(default_factory=list)
    closed: bool = False

    def render(self, abc: str, options: Any) -> FakeResult:
        self.calls.append(abc)
        if "#" in abc:
            line = abc[: abc.index("#")].count("\n") + 1
            raise FakeRenderError("cannot engrave '#'", line, 1)
        shapes, positions, timemap = [], {}, []
        for line_no, line in enumerate(abc.splitlines(), start=1):
            if re.match(r"^[A-Za-z]:", line):
                continue
            for match in re.finditer(r"[A-Ga-g]", line):
                i = len(positions)
                element_id = f"note-{i}"
                x, y = 40 + (i % 24) * 30, 60 + (i // 24) * 80
                shapes.append(
                    f'<g id="{element_id}"><rect x="{x}" y="{y}" width="14" height="40" fill="black"/></g>'
                )
                positions[element_id] = (line_no, match.start() + 1)
                timemap.append(FakeTimed(element_id, i * 250.0, (i + 1) * 250.0))
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">'
            '<rect x="0" y="0" width="800" height="600" fill="white"/>' + "".join(shapes) + "</svg>"
        )
        return FakeResult((svg,), tuple(timemap), positions, {k: 0 for k in positions})

    def close(self) -> None:
        self.closed = True


@dataclass(frozen=True)
class FakeProblem:
    message: str
    line: int
    column: int
    severity: str = "error"


def fake_validate(text: str) -> list[FakeProblem]:
    return [
        FakeProblem("unexpected '#'", n, line.index("#") + 1)
        for n, line in enumerate(text.splitlines(), start=1)
        if "#" in line
    ]


@dataclass(frozen=True)
class FakeTune:
    key: str
    body: str
    body_line: int


def fake_parse_tune(text: str) -> FakeTune:
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        if line.startswith("K:"):
            return FakeTune(line[2:].strip(), "".join(lines[n + 1 :]), n + 2)
    raise ValueError("no K: line")


def fake_services(
    generator: FakeGenerator | None = None, exports: list | None = None
) -> CoreServices:
    generator = generator or FakeGenerator()
    exported = exports if exports is not None else []

    def export(kind: str, text: str, path: Path, options: dict) -> None:
        Path(path).write_text(f"{kind}\n{text}", encoding="utf-8")
        exported.append((kind, Path(path), options))

    return CoreServices(
        load_generator=lambda _dir: generator,
        model_available=lambda _dir: True,
        make_renderer=FakeRenderer,
        render_options=lambda zoom=40, transpose=0, **layout: (zoom, transpose),
        form_choices=lambda: __import__(
            "composeium_desktop.gui.widgets.metadata_panel", fromlist=["FormChoices"]
        ).FormChoices(),
        validate=fake_validate,
        split_tunebook=lambda text: [],
        transpose=lambda text, n: text.replace("K:D", "K:E"),
        key_name=lambda tonic, mode: tonic + {"major": "", "minor": "m"}.get(mode, mode[:3]),
        parse_tune=fake_parse_tune,
        make_request=GenerationRequest,
        tune_header=lambda r: f"X:1\nT:{r.title}\nM:{r.meter}\nL:1/8\nR:{r.genre}\nK:{r.key}\n",
        make_player=_no_device,
        make_midi=lambda text, tempo, program, lilt=None: None,
        list_audio_devices=lambda: [],
        export=export,
    )


def _no_device(soundfont: str, device: str) -> Any:
    raise RuntimeError("no audio output device found")
