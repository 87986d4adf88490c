"""`composeium check FILE.abc...`: every problem the notation core finds, one line each.

Lines read `FILE:LINE:COL: error|warning: message` (the compiler convention editors link).
Exit status: 0 when no file has an error (warnings allowed), 1 when some file has an error,
2 when a file cannot be read (missing, binary, not UTF-8). `--music21-corpus` instead
measures the corpus acceptance: the share of music21's bundled tunes whose body the core's
lexer reads, and lists the tunes it cannot read, with the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

NAME = "check"
HELP = "Check ABC files: one line per problem (FILE:LINE:COL: error|warning: message)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE.abc", help="ABC files")
    parser.add_argument(
        "--music21-corpus",
        action="store_true",
        help="measure the corpus acceptance over music21's ABC tunes and list the rest",
    )


class Unreadable(Exception):
    """A file that is no ABC text: missing, binary or not UTF-8."""


def read_abc(path: Path) -> str:
    """The text of an ABC file; raises Unreadable with a one-line reason."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except IsADirectoryError:
        raise Unreadable("is a directory, not an ABC file") from None
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    if b"\0" in data:
        raise Unreadable("a binary file, not ABC text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Unreadable(f"not UTF-8 text (line {line}, byte {exc.start})") from None


def problems(text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, message) for every problem of an ABC text, in order."""
    from composeium_desktop.core.abcnotation import validate

    return [(e.line, e.column, e.severity, e.message) for e in validate(text)]


def check_files(paths: list[Path], out: TextIO | None = None) -> int:
    """Print the problems of each file; the exit status (0, 1 or 2) as the module says."""
    stream = out if out is not None else sys.stdout
    status = 0
    for path in paths:
        try:
            text = read_abc(path)
        except Unreadable as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            status = 2
            continue
        for line, col, severity, message in problems(text):
            print(f"{path}:{line}:{col}: {severity}: {message}", file=stream)
            if severity == "error" and status == 0:
                status = 1
    return status


def corpus_acceptance() -> tuple[int, list[str]]:
    """(tunes in music21's ABC corpus, one line per tune whose body the lexer refuses)."""
    from music21 import corpus

    from composeium_desktop.core.abcnotation import ABCError, lex, split_tunebook

    total = 0
    refused: list[str] = []
    root = Path(corpus.__file__).resolve().parent
    for path in sorted(Path(p) for p in corpus.getPaths(fileExtensions=("abc",))):
        for tune in split_tunebook(path.read_text(encoding="latin-1")):
            total += 1
            try:
                lex(tune.body)
            except ABCError as exc:
                where = f"{path.relative_to(root)}:{tune.body_line + exc.line - 1}:{exc.column}"
                refused.append(f"{where}: error: {exc.message} (X:{tune.number} {tune.title})")
    return total, refused


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError

    if args.music21_corpus:
        total, refused = corpus_acceptance()
        for line in refused:
            print(line)
        accepted = total - len(refused)
        print(f"corpus acceptance: {accepted}/{total} tunes ({accepted / total:.2%}) read")
        return 0
    if not args.files:
        raise UsageError("name at least one FILE.abc (or --music21-corpus)")
    return check_files(list(args.files))
