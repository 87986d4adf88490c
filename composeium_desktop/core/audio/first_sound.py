"""How quickly the live player sounds: milliseconds from play() to the first audible block.

Measured on a simulated output that pulls blocks in real time (no device needed), with the
stream already open, as after the first Play.
"""

from __future__ import annotations

import os
import time

import numpy as np

from composeium_desktop.core.audio.midi import MIDIResult
from composeium_desktop.core.audio.output import FillCallback, OutputStream, SimulatedOutputStream
from composeium_desktop.core.audio.player import Player

SOUND_THRESHOLD = 64  # above FluidSynth's dither


def benchmark_first_sound(midi: MIDIResult, soundfont: str | os.PathLike | None = None) -> float:
    """Milliseconds from play() to the first non-silent block of a real-time simulated output."""
    streams: list[SimulatedOutputStream] = []

    def factory(rate: int, block: int, fill: FillCallback) -> OutputStream:
        streams.append(SimulatedOutputStream(rate, block, fill))
        return streams[-1]

    with Player(soundfont, stream_factory=factory) as player:
        player.load(midi)
        player.prepare()  # warm: the stream is open, as after the first play
        time.sleep(0.05)
        stream = streams[0]
        start_block = len(stream.blocks)
        t0 = time.perf_counter()
        player.play()
        deadline = t0 + 2.0
        while time.perf_counter() < deadline:
            for block, when in zip(
                stream.blocks[start_block:], stream.block_times[start_block:], strict=False
            ):
                if np.abs(block).max() > SOUND_THRESHOLD:
                    # The block is heard one block after it is handed to the device.
                    return (when - t0) * 1000.0 + stream.blocksize / stream.sample_rate * 1000.0
            time.sleep(0.001)
    return float("nan")
