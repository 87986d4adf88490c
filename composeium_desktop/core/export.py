"""Exports of one tune: WAV, MIDI, PDF, MusicXML, SVG and ABC, each written atomically.

Every export writes to a temporary file in the destination folder and renames it into place,
so a failure (bad tune, unwritable folder, full disk) leaves no partial file and raises
`ExportError` with a message a user can act on. Engraving and MIDI go through the shared,
crash-isolated renderer (core.render), so a malformed tune cannot take the caller down.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from composeium_desktop.core import fileio
from composeium_desktop.core.errors import PositionedError
from composeium_desktop.core.render import (
    Renderer,
    RenderError,
    RenderOptions,
    check_tune,
    shared_renderer,
)

if TYPE_CHECKING:
    from composeium_desktop.core.audio.lilt import Lilt

PAPER_SIZES = {"a4": (2100, 2970), "letter": (2159, 2794)}
PDF_MARGIN = 150


class ExportError(PositionedError):
    """An export that failed; nothing was written. `line`/`col` point into the ABC when known."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    elapsed_s: float
    audio_s: float | None = None

    @property
    def realtime_factor(self) -> float | None:
        """Seconds of audio written per second of work (WAV only)."""
        if self.audio_s is None or self.elapsed_s <= 0:
            return None
        return self.audio_s / self.elapsed_s


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call `write(file)` on a temporary file next to `path`, then rename it to `path`."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder")
    try:
        return fileio.atomic_write(target, write)
    except OSError as exc:
        raise ExportError(f"could not write {target}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return exc.strerror or str(exc)


def _checked(abc: str) -> None:
    try:
        check_tune(abc)
    except RenderError as exc:
        raise ExportError(exc.message, exc.line, exc.col) from None


@contextlib.contextmanager
def _as_export_error() -> Iterator[None]:
    try:
        yield
    except RenderError as exc:
        raise ExportError(exc.message, exc.line, exc.col) from None
    except ValueError as exc:
        raise ExportError(str(exc)) from None


def export_midi(
    abc: str,
    path: str | os.PathLike,
    tempo: float | None = None,
    program: int = 0,
    transpose: int = 0,
    renderer: Renderer | None = None,
    lilt: Lilt | None = None,
) -> ExportResult:
    """Type-1 MIDI: tempo, key and time signatures, repeats and endings played, with the
    tune's lilt (`lilt`; None: the genre's swing, accents and rolls)."""
    from composeium_desktop.core.audio.midi import abc_to_midi

    start = time.perf_counter()
    with _as_export_error():
        midi = abc_to_midi(abc, tempo, program, transpose, renderer, lilt=lilt)
    target = atomic_write(path, lambda f: f.write(midi.data))
    return ExportResult(target, time.perf_counter() - start)


def export_wav(
    abc: str,
    path: str | os.PathLike,
    soundfont: str | os.PathLike | None = None,
    tempo: float | None = None,
    program: int = 0,
    transpose: int = 0,
    sample_rate: int = 44100,
    renderer: Renderer | None = None,
    lilt: Lilt | None = None,
) -> ExportResult:
    """44.1 kHz 16-bit stereo WAV synthesised with FluidSynth from the MIDI (lilt included)."""
    from composeium_desktop.core.audio.midi import abc_to_midi
    from composeium_desktop.core.audio.soundfont import SoundFontError, find_soundfont
    from composeium_desktop.core.audio.synth import SynthError, render_audio, write_wav

    start = time.perf_counter()
    with _as_export_error():
        midi = abc_to_midi(abc, tempo, program, transpose, renderer, lilt=lilt)
    try:
        samples = render_audio(midi, find_soundfont(soundfont), sample_rate)
    except (SoundFontError, SynthError) as exc:
        raise ExportError(str(exc)) from None
    target = atomic_write(path, lambda f: write_wav(f, samples, sample_rate))
    return ExportResult(target, time.perf_counter() - start, len(samples) / sample_rate)


def export_pdf(
    abc: str,
    path: str | os.PathLike,
    paper: str = "a4",
    transpose: int = 0,
    renderer: Renderer | None = None,
) -> ExportResult:
    """Vector PDF, one engraved page per PDF page (A4 or Letter), title on top."""
    from composeium_desktop.core.render.draw import pages_to_pdf

    if paper not in PAPER_SIZES:
        raise ExportError(f"unknown paper size {paper!r}; use one of {', '.join(PAPER_SIZES)}")
    start = time.perf_counter()
    width, height = PAPER_SIZES[paper]
    options = RenderOptions(
        page_width=width,
        page_height=height,
        zoom=100,
        transpose=transpose,
        adjust_page_height=False,
        page_margin=PDF_MARGIN,
    )
    with _as_export_error():
        result = (renderer or shared_renderer()).render(abc, options)
    title = _title(abc)
    target = atomic_write(path, lambda f: pages_to_pdf(result.pages, f, paper, title))
    return ExportResult(target, time.perf_counter() - start)


def export_pdf_book(
    abc: str,
    path: str | os.PathLike,
    paper: str = "a4",
    transpose: int = 0,
    renderer: Renderer | None = None,
) -> ExportResult:
    """Every tune of a tune book in one vector PDF, a contents page first (title, page)."""
    from composeium_desktop.core.render.draw import book_to_pdf
    from composeium_desktop.core.tunebook import TuneBook

    if paper not in PAPER_SIZES:
        raise ExportError(f"unknown paper size {paper!r}; use one of {', '.join(PAPER_SIZES)}")
    book = TuneBook.parse(abc)
    if not book.tunes:
        raise ExportError("the book has no tunes")
    start = time.perf_counter()
    width, height = PAPER_SIZES[paper]
    options = RenderOptions(
        page_width=width,
        page_height=height,
        zoom=100,
        transpose=transpose,
        adjust_page_height=False,
        page_margin=PDF_MARGIN,
    )
    engraved = []
    for tune in book.tunes:
        with _as_export_error():
            result = (renderer or shared_renderer()).render(tune.text, options)
        engraved.append((tune.title, result.pages))
    target = atomic_write(path, lambda f: book_to_pdf(engraved, f, paper, Path(path).stem))
    return ExportResult(target, time.perf_counter() - start)


def export_svg(
    abc: str,
    path: str | os.PathLike,
    transpose: int = 0,
    zoom: int = 40,
    renderer: Renderer | None = None,
) -> ExportResult:
    """One SVG file (pages stacked), the same Qt-clean SVG the app displays."""
    from composeium_desktop.core.render.draw import stack_pages

    start = time.perf_counter()
    with _as_export_error():
        result = (renderer or shared_renderer()).render(
            abc, RenderOptions(zoom=zoom, transpose=transpose)
        )
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + stack_pages(result.pages)
    target = atomic_write(path, lambda f: f.write(svg.encode("utf-8")))
    return ExportResult(target, time.perf_counter() - start)


def export_png(
    abc: str,
    path: str | os.PathLike,
    transpose: int = 0,
    pixels_per_unit: float = 0.1,
    renderer: Renderer | None = None,
) -> ExportResult:
    """A PNG image of the score (pages stacked), rasterised without Qt."""
    from composeium_desktop.core.render.draw import pages_to_png

    start = time.perf_counter()
    with _as_export_error():
        result = (renderer or shared_renderer()).render(
            abc, RenderOptions(zoom=100, transpose=transpose)
        )
    target = atomic_write(path, lambda f: pages_to_png(result.pages, f, pixels_per_unit))
    return ExportResult(target, time.perf_counter() - start)


def export_musicxml(abc: str, path: str | os.PathLike, transpose: int = 0) -> ExportResult:
    """MusicXML through music21's ABC reader, with the tune's composer (C:), ornaments (rolls,
    trills, mordents) and slurs from the notation core (core.musicxml)."""
    _checked(abc)
    start = time.perf_counter()
    data = abc_to_musicxml(abc, transpose)
    target = atomic_write(path, lambda f: f.write(data))
    return ExportResult(target, time.perf_counter() - start)


def abc_to_musicxml(abc: str, transpose: int = 0) -> bytes:
    try:
        from music21 import converter, stream
        from music21.musicxml.m21ToXml import GeneralObjectExporter

        from composeium_desktop.core.musicxml import fix_musicxml
        from composeium_desktop.core.render.scan import first_tune

        # The first tune, as every other export takes it (music21 orders a book's tunes by
        # their X: numbers, so its first score can be another tune).
        abc = first_tune(abc)
        score = converter.parse(abc, format="abc", forceSource=True)
        if isinstance(score, stream.Opus):
            score = score.scores[0] if score.scores else score
        if transpose:
            score = score.transpose(transpose)
        title = _title(abc)
        if title:
            from music21 import metadata

            if score.metadata is None:
                score.metadata = metadata.Metadata()
            score.metadata.title = title
        if not score.recurse().notes:
            raise ExportError("the tune has no notes to write as MusicXML")
        # The tune's own composer, ornaments and slurs (music21 loses or misplaces them).
        return fix_musicxml(GeneralObjectExporter(score).parse(), abc).xml
    except ExportError:
        raise
    except Exception as exc:  # noqa: BLE001 - music21 raises many types on odd ABC
        raise ExportError(f"music21 could not convert this tune to MusicXML ({exc})") from None


def export_abc(abc: str, path: str | os.PathLike, transpose: int = 0) -> ExportResult:
    """The ABC text itself (transposed when asked), UTF-8."""
    _checked(abc)
    start = time.perf_counter()
    text = abc
    if transpose:
        from composeium_desktop.core.abcnotation import ABCError, transpose_tune

        try:
            text = transpose_tune(abc, transpose)
        except ABCError as exc:
            raise ExportError(exc.message, exc.line, exc.column) from None
    if not text.endswith("\n"):
        text += "\n"
    target = atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return ExportResult(target, time.perf_counter() - start)


def _title(abc: str) -> str:
    for line in abc.splitlines():
        if line.startswith("T:"):
            return line[2:].strip()
    return ""
