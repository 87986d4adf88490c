"""How long this process has been running, from the operating system's own start time.

Interpreter start-up and imports count, as they do for someone who launches the app. psutil's
``create_time()`` is not precise enough for this on Linux: it adds the boot time, which the kernel
gives in whole seconds, so every reading is off by the same fraction of a second. Linux gives the
start in clock ticks since boot beside the uptime in hundredths of a second: both come from the
same clock, so their difference is right to about 10 ms.
"""

from __future__ import annotations

import os
import time


def _linux_seconds() -> float | None:
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    # Field 22 of stat (starttime) is the 20th after the command name's closing parenthesis.
    return now - int(fields[19]) / ticks


def seconds_since_launch() -> tuple[float, float]:
    """(wall seconds since this process started, CPU seconds it has used)."""
    cpu = time.process_time()
    wall = _linux_seconds()
    if wall is None:
        try:
            import psutil

            wall = time.time() - psutil.Process().create_time()
        except Exception:  # noqa: BLE001 (no clock to read: fall back to this interpreter's)
            wall = time.perf_counter()
    return wall, cpu
