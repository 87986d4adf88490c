"""`composeium bench`: generation speed on this machine, cached against naive decoding.

In one process, with one model and one metadata request:
  * naive: the whole prefix re-run through the model for every new token (one compiled graph
    with a dynamic body length, so it is not slowed by retracing);
  * cached: the one-token step over the key/value cache of the Generator's default backend
    (the NumPy decoder, ``backend``), with the same sampler (``tokens_per_s_cached``,
    ``model_loop_ms_p50``); the XLA-compiled Keras step beside it, interleaved
    (``tokens_per_s_cached_xla``, ``model_loop_cpu_ms_p50_xla``);
  * tune: the full generation pipeline (cached step + sampler + ABC constraints + per-bar
    transposition + streaming steps), forced to exactly N tokens (``tune_ms_p50/p95``,
    ``first_token_ms``).
Wall times are inflated by anything else running on the machine, so CPU times
(``tune_cpu_ms_p50``, ``model_loop_cpu_ms_p50``, ``naive_cpu_ms_p50``, ``speedup_cpu``) and the
load average are reported beside them; the cached and pipeline loops are interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

NAME = "bench"
HELP = "Measure generation speed: naive vs cached decoding, tune time, first token, memory."
BENCH_TITLE = "The Bench Reel"
BENCH_METER = "4/4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--model", type=Path, default=None, metavar="DIR", help="model folder (default: model/)"
    )
    parser.add_argument(
        "--runs", type=int, default=20, metavar="N", help="timed tunes after warm-up (default 20)"
    )
    parser.add_argument(
        "--tokens", type=int, default=256, metavar="N", help="tokens per tune (default 256)"
    )
    parser.add_argument(
        "--naive-runs", type=int, default=3, metavar="N", help="naive tunes timed (default 3)"
    )
    parser.add_argument(
        "--no-render", action="store_true", help="skip the render timing (Verovio worker)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also time fresh processes: model load, first token and peak memory of composing, "
        "and the app from launch to a generated tune on screen against a bare PySide6 window",
    )
    parser.add_argument(
        "--cold-runs", type=int, default=3, metavar="N", help="fresh processes of each kind (3)"
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _peak_rss_mb() -> float:
    try:
        import resource

        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak_kb / (1024.0 * 1024.0) if sys.platform == "darwin" else peak_kb / 1024.0
    except ImportError:
        import psutil

        return psutil.Process().memory_info().peak_wset / 1e6


def _load_average() -> float:
    """Other work on the machine inflates wall times: reported beside them."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return -1.0


def _naive_forward(model: Any) -> Any:
    import tensorflow as tf

    from composeium_desktop.core.features.metric import FEATURE_SIZES

    width = int(model.config.max_meta_len)
    return tf.function(
        lambda meta, body, metric: model({"meta": meta, "body": body, "metric": metric})[:, -1, :],
        input_signature=[
            tf.TensorSpec([1, width], tf.int32),
            tf.TensorSpec([1, None], tf.int32),
            tf.TensorSpec([1, None, len(FEATURE_SIZES)], tf.int32),
        ],
    )


def _banned(generator: Any) -> Any:
    """Ids never drawn in the timing loops: specials, undecodable bytes and EOS (fixed length)."""
    banned = generator._banned.copy()
    banned[generator.eos_id] = True
    return banned


def time_naive(
    generator: Any, meta: Any, tokens: int, runs: int, seed: int = 0
) -> tuple[list[float], list[float]]:
    """(wall, CPU) ms per tune re-running the whole prefix every token (same sampler and
    metric features as the cached loop)."""
    import numpy as np

    from composeium_desktop.core.features.metric import MetricTracker
    from composeium_desktop.core.generation.sampling import make_sampler

    forward = _naive_forward(generator.model)
    sampler = make_sampler(1.0, 0, 0.95)
    banned = _banned(generator)
    start_features = MetricTracker.start(BENCH_METER)
    forward(meta, np.array([[generator.bos_id]], np.int32), np.array([[start_features.features]]))
    times, cpu = [], []
    for run in range(runs):
        rng = np.random.default_rng(seed + run)
        body = [generator.bos_id]
        tracker = start_features
        rows = [tracker.features]
        cpu_start = time.process_time()
        start = time.perf_counter()
        for _ in range(tokens):
            metric = np.array([rows], np.int32)
            logits = np.asarray(forward(meta, np.array([body], np.int32), metric))[0]
            body.append(sampler.sample(np.where(banned, -np.inf, logits), rng))
            tracker = tracker.feed(generator.pieces[body[-1]])
            rows.append(tracker.features)
        times.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - cpu_start) * 1000.0)
    return times, cpu


def time_cached(
    generator: Any, meta_ids: list[int], tokens: int, runs: int, seed: int = 0
) -> tuple[list[float], list[float]]:
    """(wall, CPU) ms per tune with the compiled cached step (start + steps + metric
    features + sampling)."""
    import numpy as np

    from composeium_desktop.core.features.metric import MetricTracker
    from composeium_desktop.core.generation.sampling import make_sampler

    sampler = make_sampler(1.0, 0, 0.95)
    banned = _banned(generator)
    times, cpu = [], []
    for run in range(runs):
        rng = np.random.default_rng(seed + run)
        cpu_start = time.process_time()
        start = time.perf_counter()
        cache = generator.start(meta_ids, tokens + 1)
        token = generator.bos_id
        tracker = MetricTracker.start(BENCH_METER)
        for position in range(tokens):
            if position >= generator.cache_size(cache):
                cache = generator.grow(cache)
            logits, cache = generator.step(token, position, cache, tracker.features)
            token = sampler.sample(np.where(banned, -np.inf, logits), rng)
            tracker = tracker.feed(generator.pieces[token])
        times.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - cpu_start) * 1000.0)
    return times, cpu


def time_pipeline(
    generator: Any, request: Any, runs: int, seed: int = 0
) -> tuple[list[float], list[float], list[int], list[float]]:
    """(wall ms per tune, ms to the first step, tokens per tune, CPU ms per tune) through
    Generator.generate, with exactly N tokens per tune."""
    from dataclasses import replace

    tune_ms, first_ms, counts, cpu_ms = [], [], [], []
    for run in range(runs):
        cpu_start = time.process_time()
        start = time.perf_counter()
        first = None
        last = None
        for step in generator.generate(replace(request, seed=seed + run), exact_length=True):
            if first is None:
                first = time.perf_counter()
            last = step
        end = time.perf_counter()
        cpu_ms.append((time.process_time() - cpu_start) * 1000.0)
        tune_ms.append((end - start) * 1000.0)
        first_ms.append(((first or end) - start) * 1000.0)
        counts.append(last.index if last is not None else 0)
    return tune_ms, first_ms, counts, cpu_ms


def _render_ms() -> float | None:
    try:
        from composeium_desktop.core.render import benchmark_render
    except ImportError:
        return None
    try:
        return float(benchmark_render(runs=10)["median_ms"])
    except Exception:  # noqa: BLE001 (optional figure: a missing Verovio must not fail the bench)
        return None


def run_bench(
    model_dir: Path, runs: int = 20, tokens: int = 256, naive_runs: int = 3, render: bool = True
) -> dict[str, Any]:
    """All figures as one dict (the JSON of `composeium bench --json`)."""
    import numpy as np

    start = time.perf_counter()
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.request import GenerationRequest, resolve_key

    generator = Generator.load(model_dir)
    model_load_ms = (time.perf_counter() - start) * 1000.0
    # The XLA step over the same loaded model, for comparison.
    xla = generator.with_backend("xla")
    xla.warm_up()
    request = GenerationRequest(
        title=BENCH_TITLE, key="D", meter=BENCH_METER, genre="reel", max_tokens=tokens, seed=0
    )
    key = resolve_key(request.key)
    meta = np.zeros((1, generator.max_meta_len), np.int32)
    ids = generator.meta_ids(request, key)[: generator.max_meta_len]
    meta[0, : len(ids)] = ids

    time_pipeline(generator, request, 2)
    time_cached(generator, ids, tokens, 2)
    time_cached(xla, ids, tokens, 2)
    # Interleaved, so that other load on the machine weighs on all loops alike.
    tune_ms, first_ms, counts, cpu_ms, cached_ms, cached_cpu_ms = [], [], [], [], [], []
    xla_ms, xla_cpu_ms = [], []
    for run in range(runs):
        tune, first, count, cpu = time_pipeline(generator, request, 1, seed=run)
        tune_ms += tune
        first_ms += first
        counts += count
        cpu_ms += cpu
        wall, cached_cpu = time_cached(generator, ids, tokens, 1, seed=run)
        cached_ms += wall
        cached_cpu_ms += cached_cpu
        wall, cached_cpu = time_cached(xla, ids, tokens, 1, seed=run)
        xla_ms += wall
        xla_cpu_ms += cached_cpu
    naive_ms, naive_cpu_ms = time_naive(generator, meta, tokens, naive_runs)
    cached_rate = tokens / (statistics.median(cached_ms) / 1000.0)
    naive_rate = tokens / (statistics.median(naive_ms) / 1000.0)
    result: dict[str, Any] = {
        "tokens_per_s_cached": round(cached_rate, 1),
        "tokens_per_s_naive": round(naive_rate, 1),
        "speedup": round(cached_rate / naive_rate, 2),
        "tokens_per_s_cached_xla": round(tokens / (statistics.median(xla_ms) / 1000.0), 1),
        "tune_ms_p50": round(_percentile(tune_ms, 0.5), 1),
        "tune_ms_p95": round(_percentile(tune_ms, 0.95), 1),
        "first_token_ms": round(_percentile(first_ms, 0.5), 2),
        "model_load_ms": round(model_load_ms, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "model_loop_ms_p50": round(_percentile(cached_ms, 0.5), 1),
        "pipeline_tokens_mean": round(statistics.mean(counts), 1),
        "tune_cpu_ms_p50": round(_percentile(cpu_ms, 0.5), 1),
        "model_loop_cpu_ms_p50": round(_percentile(cached_cpu_ms, 0.5), 1),
        "model_loop_cpu_ms_p50_xla": round(_percentile(xla_cpu_ms, 0.5), 1),
        "naive_cpu_ms_p50": round(_percentile(naive_cpu_ms, 0.5), 1),
        "speedup_cpu": round(
            _percentile(naive_cpu_ms, 0.5) / max(_percentile(cached_cpu_ms, 0.5), 1e-9), 2
        ),
        "load_average_1min": round(_load_average(), 2),
        "backend": generator.backend,
        # The NumPy backend's one-token step: "c" (the extension) or "numpy".
        "step_kernel": getattr(getattr(generator, "_numpy", None), "kernel", None),
        "tokens": tokens,
        "runs": runs,
        "naive_runs": naive_runs,
        "model": str(model_dir),
    }
    if render:
        render_ms = _render_ms()
        if render_ms is not None:
            result["render_ms_p50"] = round(render_ms, 1)
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return result


def run(args: argparse.Namespace) -> int:
    from composeium_desktop import paths
    from composeium_desktop.commands import UsageError
    from composeium_desktop.commands.generate import model_folder

    if args.runs < 1 or args.tokens < 8 or args.naive_runs < 1 or args.cold_runs < 1:
        raise UsageError("--runs, --naive-runs and --cold-runs must be >= 1, --tokens >= 8")
    folder = model_folder(args.model or paths.model_dir())
    result: dict[str, Any] = {}
    if args.cold:
        # First, while this process has imported nothing heavy and the machine is as the user's.
        from composeium_desktop.commands.bench_cold import app_launch, cold_compose

        result.update(cold_compose(folder, args.cold_runs))
        result.update(app_launch(folder, args.cold_runs))
    result = {
        **run_bench(folder, args.runs, args.tokens, args.naive_runs, not args.no_render),
        **result,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    width = max(len(k) for k in result)
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    return 0
