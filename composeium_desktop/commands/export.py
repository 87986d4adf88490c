"""`composeium export IN.abc [--tune N] [--wav F] [--midi F] [--pdf F] [--musicxml F] [--svg F]
[--abc F] [--soundfont SF2] [--tempo BPM] [--swing X] [--program N] [--transpose N]`.

Each file is written atomically; the first failure is reported as one line (exit code 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "Export a tune from an ABC file as WAV, MIDI, PDF, MusicXML, SVG or ABC."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", type=Path, metavar="IN.abc", help="ABC file (one tune or a tune book)"
    )
    parser.add_argument(
        "--tune", type=int, default=None, metavar="N", help="the tune with X:N (default: the first)"
    )
    for name, what in (
        ("wav", "44.1 kHz 16-bit stereo WAV"),
        ("midi", "type-1 MIDI"),
        ("pdf", "vector PDF"),
        ("musicxml", "MusicXML"),
        ("svg", "SVG"),
        ("abc", "ABC (transposed if asked)"),
    ):
        parser.add_argument(
            f"--{name}", type=Path, default=None, metavar="FILE", help=f"write {what}"
        )
    parser.add_argument(
        "--soundfont",
        type=Path,
        default=None,
        metavar="SF2",
        help="General MIDI SoundFont for --wav",
    )
    parser.add_argument(
        "--tempo",
        type=float,
        default=None,
        metavar="BPM",
        help="quarter notes per minute (default: Q: or 120)",
    )
    parser.add_argument(
        "--swing",
        default=None,
        metavar="X",
        help="swing for --wav and --midi: a percentage (0 straight, 50 = 2:1, 100 = 3:1), a"
        " ratio (2:1) or 'genre' (default: the genre's, from R:)",
    )
    parser.add_argument(
        "--program",
        type=int,
        default=0,
        metavar="N",
        help="General MIDI program 0-127 (default 0, piano)",
    )
    parser.add_argument(
        "--transpose", type=int, default=0, metavar="N", help="transpose by N semitones"
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="PDF paper size (default a4)"
    )


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.commands.render import load_tune, located
    from composeium_desktop.core import export
    from composeium_desktop.core.audio.lilt import Lilt, parse_swing
    from composeium_desktop.core.render import Renderer

    targets = [(k, getattr(args, k)) for k in ("wav", "midi", "pdf", "musicxml", "svg", "abc")]
    targets = [(k, p) for k, p in targets if p is not None]
    if not targets:
        raise UsageError(
            "nothing to do: give at least one of --wav --midi --pdf --musicxml --svg --abc"
        )
    if not 0 <= args.program <= 127:
        raise UsageError("--program must be between 0 and 127")
    if args.tempo is not None and not 10 <= args.tempo <= 1000:
        raise UsageError("--tempo must be between 10 and 1000")
    if not -24 <= args.transpose <= 24:
        raise UsageError("--transpose must be between -24 and 24")
    if args.soundfont is not None and not args.soundfont.is_file():
        raise UsageError(f"--soundfont {args.soundfont}: no such file")
    try:
        lilt = Lilt(swing=parse_swing(args.swing) if args.swing is not None else None)
    except ValueError as exc:
        raise UsageError(f"--swing: {exc}") from None
    source = load_tune(args.input, args.tune)
    abc, tr = source.text, args.transpose
    with Renderer() as renderer:
        for kind, path in targets:
            try:
                if kind == "wav":
                    result = export.export_wav(
                        abc,
                        path,
                        args.soundfont,
                        args.tempo,
                        args.program,
                        tr,
                        renderer=renderer,
                        lilt=lilt,
                    )
                elif kind == "midi":
                    result = export.export_midi(
                        abc, path, args.tempo, args.program, tr, renderer, lilt=lilt
                    )
                elif kind == "pdf":
                    result = export.export_pdf(abc, path, args.paper, tr, renderer)
                elif kind == "musicxml":
                    result = export.export_musicxml(abc, path, tr)
                elif kind == "svg":
                    result = export.export_svg(abc, path, tr, renderer=renderer)
                else:
                    result = export.export_abc(abc, path, tr)
            except export.ExportError as exc:
                raise UsageError(located(source, exc)) from None
            detail = f"{result.elapsed_s:.2f} s"
            if result.audio_s is not None:
                detail = f"{result.audio_s:.1f} s of audio in {result.elapsed_s:.2f} s, {result.realtime_factor:.0f}x real time"
            print(f"wrote {result.path} ({detail})")
    return 0
