"""`composeium gui [FILE.abc] [--screenshot PNG]`: start the desktop app (the default command)."""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
from pathlib import Path
from typing import Any

NAME = "gui"
HELP = "Start the desktop app (optionally open FILE.abc, or save a screenshot and exit)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", type=Path, help="an ABC file or tune book to open")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="open FILE, wait until the score is drawn, save an image of the window and exit",
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="compose a tune at start-up (with --screenshot: shoot once it is engraved)",
    )
    parser.add_argument("--title", help="the title the form starts with (for --generate)")
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder to load")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="print the time from launch to the window being shown (also COMPOSEIUM_TIMING=1)",
    )


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError

    if args.file is not None and not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    if args.screenshot is not None and args.file is None and not args.generate:
        raise UsageError("--screenshot needs FILE.abc or --generate")
    if args.model is not None and not args.model.is_dir():
        raise UsageError(f"no such model folder: {args.model}")
    renderer = start_engraver()
    from composeium_desktop.gui.app import LaunchOptions, run_app

    return run_app(
        LaunchOptions(
            file=args.file,
            screenshot=args.screenshot,
            generate=args.generate,
            title=args.title,
            model_dir=args.model,
            timing=args.timing or os.environ.get("COMPOSEIUM_TIMING", "") not in ("", "0"),
            renderer=renderer,
        )
    )


# Engraved once the engraver has started: Verovio's first tune pays a one-time set-up (a third
# of a render more), which this small one pays while the window's modules are still importing.
WARM_UP_TUNE = 'X:1\nT:Warm-up\nM:6/8\nL:1/8\nK:D\n"D"DFA dAF|"G"GBd "A"cBA|]\n'


def start_engraver() -> Any:
    """A core Renderer whose worker process starts now, on a thread of its own, before the
    window's modules are imported, and engraves WARM_UP_TUNE: the engraver's interpreter and
    Verovio load on the other core while this one imports Qt, instead of beside the model
    loading later. The render thread waits for this thread's request if it comes first."""
    from composeium_desktop.core.render import Renderer

    renderer = Renderer()

    def start() -> None:
        with contextlib.suppress(Exception):  # a failed start shows at the first render
            renderer.start()
            renderer.render(WARM_UP_TUNE)

    threading.Thread(target=start, name="composeium-engraver-start", daemon=True).start()
    return renderer
