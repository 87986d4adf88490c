"""Cold-process figures for `composeium bench`: what a musician waits for after launching.

Each figure comes from a fresh Python process, so interpreter start-up, imports and reading the
model count, as they do for a user:
  * ``cold_*``: a process that loads the shipped model the way `composeium generate` does and
    writes one tune; load time, time to the first token (from the process's own start), its peak
    memory and whether TensorFlow or Keras got imported;
  * ``app_*``: `composeium-desktop --generate --screenshot --timing` from launch to the generated
    tune's score on screen, beside a bare PySide6 window shown by the same interpreter in the same
    run (``app_ratio`` = app / bare), both after an untimed first launch, and the peak memory
    of the app's process tree (the Verovio worker included), sampled every 10 ms in a launch of
    its own.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

_COLD_COMPOSE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from composeium_desktop.core.launch_clock import seconds_since_launch
    started = time.time() - seconds_since_launch()[0]
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.request import GenerationRequest
    load_start = time.perf_counter()
    generator = Generator.load(Path(sys.argv[1]))
    load_ms = (time.perf_counter() - load_start) * 1000.0
    first = None
    for step in generator.generate(GenerationRequest(key="D", meter="4/4", genre="reel", seed=1)):
        if first is None:
            first = time.time()
    done = time.time()
    heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    print(json.dumps({
        "load_ms": load_ms,
        "first_token_s": first - started,
        "tune_s": done - started,
        "heavy": heavy,
    }))
    """
)

_BARE_WINDOW = textwrap.dedent(
    """
    import sys
    from composeium_desktop.core.launch_clock import seconds_since_launch
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1360, 820)
    window.show()
    def shown():
        print(f"window shown {seconds_since_launch()[0]:.3f} s", flush=True)
        app.quit()
    QTimer.singleShot(0, shown)
    app.exec()
    """
)

_SECONDS = re.compile(r"([0-9.]+) s")


def _tree_rss_mb(process: Any) -> float:
    """Resident memory of a process and its children, MB (children that exit meanwhile skip)."""
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 1e6


def run_sampled(argv: list[str], env: dict[str, str], timeout: float) -> tuple[str, float]:
    """Run ``argv``; (its stdout, the peak resident memory of its process tree in MB)."""
    import psutil

    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, text=True)
        watched = psutil.Process(child.pid)
        peak = 0.0
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                raise RuntimeError(f"{argv[0]} ran past {timeout:.0f} s")
            try:
                peak = max(peak, _tree_rss_mb(watched))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.01)
        child.wait()
        out.seek(0)
        text = out.read()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {child.returncode}: {text[-500:]}")
    return text, peak


def _first_seconds(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            match = _SECONDS.search(line)
            if match:
                return float(match.group(1))
    raise RuntimeError(f"no {prefix!r} line in: {text[-500:]}")


def cold_compose(model_dir: Path, runs: int = 3) -> dict[str, Any]:
    """Median figures of ``runs`` fresh processes that load the model and write one tune."""
    results, peaks = [], []
    for _ in range(runs):
        text, peak = run_sampled(
            [sys.executable, "-c", _COLD_COMPOSE, str(model_dir)], dict(os.environ), 300.0
        )
        results.append(json.loads(text.strip().splitlines()[-1]))
        peaks.append(peak)
    return {
        "cold_model_load_ms": round(statistics.median(r["load_ms"] for r in results), 1),
        "cold_first_token_s": round(statistics.median(r["first_token_s"] for r in results), 3),
        "cold_tune_s": round(statistics.median(r["tune_s"] for r in results), 3),
        "cold_peak_rss_mb": round(max(peaks), 1),
        "cold_imports_tensorflow": any(r["heavy"] for r in results),
    }


def _run_plain(argv: list[str], env: dict[str, str], timeout: float) -> str:
    """Run ``argv`` with nothing watching it; its stdout."""
    done = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {done.returncode}: {done.stdout[-500:]}")
    return done.stdout


def app_launch(model_dir: Path, runs: int = 3) -> dict[str, Any]:
    """Launch-to-generated-tune of the app against a bare PySide6 window, run by run.

    As a musician launches it: after one launch of each that is not timed (Python has written
    its bytecode, the OS has the libraries and the model in its file cache; a shell that sets
    ``PYTHONDONTWRITEBYTECODE`` would otherwise make every launch compile the app's modules
    again), and with nothing sampling the processes while they are timed: the peak memory
    comes from one more launch of the app, watched every 10 ms."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    app_s, bare_s = [], []
    with tempfile.TemporaryDirectory() as scratch:
        env["COMPOSEIUM_DATA_DIR"] = str(Path(scratch) / "data")
        app = [sys.executable, "-m", "composeium_desktop.cli", "gui", "--generate", "--timing"]
        app += ["--model", str(model_dir), "--screenshot", str(Path(scratch) / "shot.png")]
        bare = [sys.executable, "-c", _BARE_WINDOW]
        _run_plain(bare, env, 120.0)
        _run_plain(app, env, 300.0)
        for _ in range(runs):
            bare_s.append(_first_seconds(_run_plain(bare, env, 120.0), "window shown"))
            app_s.append(_first_seconds(_run_plain(app, env, 300.0), "score on screen"))
        _, peak = run_sampled(app, env, 300.0)
    app_median, bare_median = statistics.median(app_s), statistics.median(bare_s)
    return {
        "app_tune_on_screen_s": round(app_median, 3),
        "bare_window_s": round(bare_median, 3),
        "app_ratio": round(app_median / bare_median, 2),
        "app_peak_rss_mb": round(peak, 1),
    }
