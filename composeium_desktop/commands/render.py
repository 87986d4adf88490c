"""`composeium render IN.abc [--tune N] -o OUT.svg|OUT.png|OUT.pdf`: engrave one tune to a file.

Text the notation core cannot read is reported as one line with its line and column (exit
code 2); a tune that is drawn gets the core's other marks (bar lengths, a key it cannot read)
on stderr as `composeium check` prints them, and exit code 0. Verovio runs in the
crash-isolated worker, so a malformed tune can never kill this process.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from composeium_desktop.core.errors import PositionedError

NAME = "render"
HELP = "Engrave a tune from an ABC file to SVG, PNG or PDF."
FORMATS = (".svg", ".png", ".pdf")


@dataclass(frozen=True)
class TuneSource:
    """One tune cut out of a file: its text and the file line its first line is on."""

    text: str
    first_line: int
    label: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", type=Path, metavar="IN.abc", help="ABC file (one tune or a tune book)"
    )
    parser.add_argument(
        "--tune", type=int, default=None, metavar="N", help="the tune with X:N (default: the first)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="OUT.svg, OUT.png or OUT.pdf",
    )
    parser.add_argument(
        "--zoom", type=int, default=40, metavar="PERCENT", help="SVG zoom (default 40)"
    )
    parser.add_argument(
        "--transpose", type=int, default=0, metavar="SEMITONES", help="transpose by semitones"
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="PDF paper size (default a4)"
    )


def load_tune(path: Path, number: int | None) -> TuneSource:
    """Read `path` and cut out tune X:`number` (or the first tune). Raises UsageError."""
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.fileio import NotTextError, read_text

    try:
        text = read_text(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except NotTextError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("X:")]
    if not starts:
        if number is not None:
            raise UsageError(f"{path}: no X: fields, so there is no tune {number}")
        return TuneSource("\n".join(lines), 1, str(path))
    chosen = starts[0]
    if number is not None:
        matches = [i for i in starts if re.match(rf"X:\s*{number}\s*$", lines[i])]
        if not matches:
            numbers = ", ".join(lines[i][2:].strip() for i in starts[:20])
            raise UsageError(f"{path}: no tune X:{number} (tunes: {numbers})")
        chosen = matches[0]
    end = chosen + 1
    while end < len(lines) and lines[end].strip() and not lines[end].startswith("X:"):
        end += 1
    return TuneSource(
        "\n".join(lines[chosen:end]) + "\n", chosen + 1, f"{path} X:{lines[chosen][2:].strip()}"
    )


def located(source: TuneSource, exc: PositionedError) -> str:
    """The error as one line, with its line number in the file rather than in the tune."""
    if exc.line is None:
        return f"{source.label}: {exc.message}"
    line = exc.line + source.first_line - 1
    return f"{source.label}: line {line}, column {exc.col or 1}: {exc.message}"


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core import export
    from composeium_desktop.core.render import Renderer

    suffix = args.output.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"-o {args.output}: the name must end in .svg, .png or .pdf")
    if not 5 <= args.zoom <= 400:
        raise UsageError("--zoom must be between 5 and 400")
    source = load_tune(args.input, args.tune)
    with Renderer() as renderer:
        try:
            if suffix == ".svg":
                result = export.export_svg(
                    source.text, args.output, args.transpose, args.zoom, renderer
                )
            elif suffix == ".png":
                result = export.export_png(
                    source.text, args.output, args.transpose, renderer=renderer
                )
            else:
                result = export.export_pdf(
                    source.text, args.output, args.paper, args.transpose, renderer
                )
        except export.ExportError as exc:
            raise UsageError(located(source, exc)) from None
    print_marks(args.input, source)
    print(f"wrote {result.path} ({result.elapsed_s:.2f} s)")
    return 0


def print_marks(path: Path, source: TuneSource) -> None:
    """The notation core's marks on a tune that was drawn (as `composeium check` prints them)."""
    import sys

    from composeium_desktop.core.abcnotation import validate

    for mark in validate(source.text):
        line = mark.line + source.first_line - 1
        print(f"{path}:{line}:{mark.column}: {mark.severity}: {mark.message}", file=sys.stderr)
