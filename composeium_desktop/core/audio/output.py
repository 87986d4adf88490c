"""Audio output streams: the real one (sounddevice/PortAudio) and a simulated one.

A stream calls `fill(outdata, frames)` from its own thread whenever the device wants int16
stereo frames. `sounddevice_stream` raises AudioDeviceError with a one-line reason when there
is no output device (as on CI machines); `SimulatedOutputStream` pulls blocks in real time into
arrays, for tests and for measuring the player's latency without a device.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

# Asked of PortAudio: low enough for a first sound well under 100 ms, high enough that a
# busy machine does not starve the device (blocks of 5.8 ms underflowed here under load).
OUTPUT_LATENCY_S = 0.05


class AudioDeviceError(Exception):
    """No usable audio output (no device, PortAudio missing, or the device refused)."""


class OutputStream(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


FillCallback = Callable[[np.ndarray, int], None]
StreamFactory = Callable[[int, int, FillCallback], OutputStream]


def output_device_problem() -> str | None:
    """Why there is no audio output (a one-line reason), or None when PortAudio has one."""
    try:
        _check_output_devices()
    except AudioDeviceError as exc:
        return str(exc)
    return None


def _check_output_devices() -> Any:
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise AudioDeviceError(f"no audio output: PortAudio is not available ({exc})") from None
    try:
        devices = sd.query_devices()
    except Exception as exc:  # noqa: BLE001 - PortAudio errors vary by platform
        raise AudioDeviceError(
            f"no audio output: PortAudio failed to list devices ({exc})"
        ) from None
    if not any(d.get("max_output_channels", 0) > 0 for d in devices):
        raise AudioDeviceError("no audio output device found (PortAudio reports 0 output devices)")
    return sd


class UnderflowCounter:
    """How many blocks the device had to play before the callback had filled them."""

    def __init__(self) -> None:
        self.count = 0


def sounddevice_stream(
    sample_rate: int,
    blocksize: int,
    fill: FillCallback,
    device: str | int | None = None,
    underflows: UnderflowCounter | None = None,
) -> OutputStream:
    """Open a sounddevice output stream that calls `fill(outdata, frames)`.

    `device` is a PortAudio device name (or a unique part of it) or index; None is the default
    output. Output underflows reported by PortAudio are counted in `underflows`."""
    sd = _check_output_devices()

    def callback(outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if underflows is not None and status.output_underflow:
            underflows.count += 1
        fill(outdata, frames)

    try:
        return sd.OutputStream(
            samplerate=sample_rate,
            blocksize=blocksize,
            channels=2,
            dtype="int16",
            latency=OUTPUT_LATENCY_S,
            device=device,
            callback=callback,
        )
    except Exception as exc:  # noqa: BLE001 - sd.PortAudioError and friends
        raise AudioDeviceError(f"the audio output device could not be opened ({exc})") from None


def device_stream_factory(
    device: str | int | None = None, underflows: UnderflowCounter | None = None
) -> Callable[[int, int, FillCallback], OutputStream]:
    """A stream factory for the Player that opens `device` and counts underflows."""

    def factory(sample_rate: int, blocksize: int, fill: FillCallback) -> OutputStream:
        return sounddevice_stream(sample_rate, blocksize, fill, device, underflows)

    return factory


class SimulatedOutputStream:
    """A stand-in output that pulls blocks in real time (or as fast as possible) into `blocks`."""

    def __init__(
        self, sample_rate: int, blocksize: int, fill: FillCallback, realtime: bool = True
    ) -> None:
        self.sample_rate = sample_rate
        self.blocksize = blocksize
        self.fill = fill
        self.realtime = realtime
        self.blocks: list[np.ndarray] = []
        self.block_times: list[float] = []
        self._running = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._running.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="simulated-audio", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._running.clear()

    def close(self) -> None:
        self._closed = True
        self._running.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def pull(self, blocks: int = 1) -> np.ndarray:
        """Synchronously render `blocks` blocks (for tests that drive time themselves)."""
        out = []
        for _ in range(blocks):
            buf = np.zeros((self.blocksize, 2), dtype=np.int16)
            self.fill(buf, self.blocksize)
            out.append(buf)
        return np.concatenate(out)

    def _run(self) -> None:
        period = self.blocksize / self.sample_rate
        next_time = time.perf_counter()
        while not self._closed:
            if not self._running.wait(timeout=0.05):
                continue
            if self._closed:
                break
            buf = np.zeros((self.blocksize, 2), dtype=np.int16)
            self.fill(buf, self.blocksize)
            self.blocks.append(buf)
            self.block_times.append(time.perf_counter())
            if self.realtime:
                next_time += period
                delay = next_time - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_time = time.perf_counter()
