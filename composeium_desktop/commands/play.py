"""`composeium play FILE.abc [--tune N] [--tempo BPM] [--swing X] [--loop] [--count-in]
[--device NAME]`.

Plays one tune on the audio output with a progress line, through the same MIDI and the same
FluidSynth rendering as `composeium export --wav` (band included), so what is heard is what the
WAV holds. Ctrl+C stops cleanly: the stream is closed and the terminal line is finished.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

NAME = "play"
HELP = "Play a tune from an ABC file on the audio output (as the WAV export renders it)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="FILE.abc", help="ABC file")
    parser.add_argument(
        "--tune", type=int, default=None, metavar="N", help="the tune with X:N (default: the first)"
    )
    parser.add_argument(
        "--tempo", type=float, default=None, metavar="BPM", help="quarter notes a minute (Q:)"
    )
    parser.add_argument(
        "--swing",
        default=None,
        metavar="X",
        help="swing: a percentage (0 straight, 50 = 2:1, 100 = 3:1), a ratio (2:1) or 'genre'"
        " (default: the genre's, from R:)",
    )
    parser.add_argument("--loop", action="store_true", help="play round and round until Ctrl+C")
    parser.add_argument("--count-in", action="store_true", help="one bar of clicks first")
    parser.add_argument("--metronome", action="store_true", help="click every beat")
    parser.add_argument(
        "--device", default=None, metavar="NAME", help="output device (name or part of it)"
    )
    parser.add_argument("--soundfont", type=Path, default=None, metavar="SF2", help="SoundFont")
    parser.add_argument("--program", type=int, default=0, metavar="N", help="GM program 0-127")


def _clock(ms: float) -> str:
    seconds = max(0, int(ms // 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.commands.render import load_tune, located
    from composeium_desktop.core.audio.lilt import Lilt, parse_swing
    from composeium_desktop.core.audio.midi import abc_to_midi
    from composeium_desktop.core.audio.output import (
        AudioDeviceError,
        UnderflowCounter,
        device_stream_factory,
    )
    from composeium_desktop.core.audio.player import Player
    from composeium_desktop.core.audio.soundfont import SoundFontError
    from composeium_desktop.core.audio.synth import SynthError
    from composeium_desktop.core.render import Renderer, RenderError

    if args.tempo is not None and not 10 <= args.tempo <= 1000:
        raise UsageError("--tempo must be between 10 and 1000")
    if not 0 <= args.program <= 127:
        raise UsageError("--program must be between 0 and 127")
    try:
        lilt = Lilt(swing=parse_swing(args.swing) if args.swing is not None else None)
    except ValueError as exc:
        raise UsageError(f"--swing: {exc}") from None
    source = load_tune(args.input, args.tune)
    with Renderer() as renderer:
        try:
            midi = abc_to_midi(source.text, args.tempo, args.program, renderer=renderer, lilt=lilt)
        except RenderError as exc:
            raise UsageError(located(source, exc)) from None
    swing = f"{midi.swing_ratio:.2f}".rstrip("0").rstrip(".")
    print(f"{source.label}  swing {swing}:1" + (" (straight)" if swing == "1" else ""))
    underflows = UnderflowCounter()
    done = threading.Event()
    errors: list[Exception] = []
    player = Player(args.soundfont, stream_factory=device_stream_factory(args.device, underflows))
    player.add_finished_listener(done.set)

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        done.set()

    player.add_error_listener(on_error)
    try:
        player.load(midi)
        if args.loop:
            player.set_loop(0.0)
        player.set_count_in(1 if args.count_in else 0)
        player.set_metronome(args.metronome)
        player.play()
        total = _clock(midi.duration_ms)
        while not done.wait(0.1):
            where = "count-in" if player.counting_in else _clock(player.position().ms)
            loop = f"  pass {player.passes + 1}" if args.loop else ""
            sys.stdout.write(f"\r{source.label}  {where} / {total}  {player.tempo:.0f} bpm{loop}  ")
            sys.stdout.flush()
        sys.stdout.write(f"\r{source.label}  {total} / {total}  done{' ' * 20}\n")
    except KeyboardInterrupt:
        sys.stdout.write("\nstopped\n")
    except (AudioDeviceError, SoundFontError, SynthError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        player.close()
    if errors:
        raise UsageError(f"playback failed: {errors[0]}")
    if underflows.count:
        print(f"warning: {underflows.count} output underflows (clicks may have been heard)")
    return 0
