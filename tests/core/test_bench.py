"""`composeium bench` on a tiny random model: every figure present and plausible (no timing
thresholds: those are measured, not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composeium_desktop.cli import main

KEYS = {
    "tokens_per_s_cached",
    "tokens_per_s_naive",
    "speedup",
    "tune_ms_p50",
    "tune_ms_p95",
    "first_token_ms",
    "model_load_ms",
    "peak_rss_mb",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-bench"))


def test_bench_json(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--json", "--model", str(model_dir), "--runs", "2", "--tokens", "24"]
    assert main([*argv, "--naive-runs", "1", "--no-render"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) >= KEYS
    assert all(result[k] > 0 for k in KEYS)
    assert result["tune_ms_p95"] >= result["tune_ms_p50"]
    assert result["speedup"] == pytest.approx(
        result["tokens_per_s_cached"] / result["tokens_per_s_naive"], rel=0.02
    )
    assert result["pipeline_tokens_mean"] == 24


def test_bench_rejects_bad_arguments(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--model", str(model_dir), "--runs", "0"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_bench_without_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--model", str(tmp_path)]) == 2
    assert "no trained model" in capsys.readouterr().err


def test_cold_compose_reports_a_fresh_process_that_never_imports_tensorflow(
    model_dir: Path,
) -> None:
    from composeium_desktop.commands.bench_cold import cold_compose

    result = cold_compose(model_dir, runs=1)
    assert result["cold_imports_tensorflow"] is False
    assert 0 < result["cold_model_load_ms"] < result["cold_first_token_s"] * 1000.0
    assert result["cold_first_token_s"] <= result["cold_tune_s"]
    # Python, NumPy and the model are resident; TensorFlow alone would add ~600 MB.
    assert 20 < result["cold_peak_rss_mb"] < 600
