"""The tf.distribute strategies of `composeium train`: MirroredStrategy over two logical CPU
devices trains as the default strategy does, and MultiWorkerMirroredStrategy trains two local
worker processes in step. Each run is a fresh process (``distributed_worker.py``): logical
devices and TF_CONFIG must be set before TensorFlow starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parent / "distributed_worker.py"
REPO = Path(__file__).resolve().parents[3]
# Mirrored against default, same data, seed, initial weights and global batch (no dropout).
# They differ only in how the loss is averaged: each replica takes the token mean of its half
# of the batch and the replicas' means are averaged, where one device takes the token mean of
# the whole batch (the halves hold different numbers of tokens), and in the order sums are
# added. Measured here: 0.006 nats on the training loss after 6 steps, 0.001 on validation.
# 0.03 is five times that, a sixteenth of what the loss falls over the run (about 0.5), and
# far from the factor of two the training loss showed when replicas' losses were summed.
TOLERANCE = 0.03


def _start(mode: str, out: Path, result: Path, env: dict[str, str]) -> subprocess.Popen:
    with result.with_suffix(".log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(out), str(result)],
            cwd=REPO,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _finish(process: subprocess.Popen, result: Path) -> dict:
    try:
        code = process.wait(timeout=600)
    finally:
        process.kill()
    log = result.with_suffix(".log").read_text(errors="replace")
    assert code == 0, log[-4000:]
    return dict(json.loads(result.read_text()))


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_mirrored_over_two_cpu_devices_reaches_the_default_strategys_loss(tmp_path) -> None:
    result = tmp_path / "mirrored.json"
    runs = _finish(_start("mirrored", tmp_path / "runs", result, {}), result)
    default, mirrored = runs["default"], runs["mirrored"]
    assert (default["replicas"], mirrored["replicas"]) == (1, 2)
    one, two = default["history"], mirrored["history"]
    assert [h["step"] for h in one] == [h["step"] for h in two] == [3, 6]
    assert one[0]["train_loss"] - one[-1]["train_loss"] > 8 * TOLERANCE  # it learns
    for a, b in zip(one, two, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], abs=TOLERANCE)
        assert b["val_loss"] == pytest.approx(a["val_loss"], abs=TOLERANCE)
