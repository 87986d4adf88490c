"""MultiWorkerMirroredStrategy: two local worker processes (TF_CONFIG on 127.0.0.1) train in
step. In a file of its own so that pytest-xdist can run it beside the mirrored test."""

from __future__ import annotations

import json
import math

import pytest
from test_distribute import _finish, _free_ports, _start


@pytest.mark.slow
def test_multi_worker_strategy_trains_two_local_workers_in_step(tmp_path) -> None:
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        result = tmp_path / f"worker{index}.json"
        out = tmp_path / f"worker{index}"
        env = {"TF_CONFIG": json.dumps(config)}
        processes.append((_start("multiworker", out, result, env), result))
    runs = [_finish(process, result)["multiworker"] for process, result in processes]
    for run in runs:
        assert run["replicas"] == 2 and run["finite"]
        assert [h["step"] for h in run["history"]] == [3, 6]
        assert all(math.isfinite(h["val_loss"]) for h in run["history"])
        assert run["history"][-1]["train_loss"] < run["history"][0]["train_loss"]
    # Each worker measures the validation loss with its own copy of the weights: equal losses
    # mean the all-reduce kept the copies equal.
    assert [h["val_loss"] for h in runs[0]["history"]] == [
        h["val_loss"] for h in runs[1]["history"]
    ]
    # The chief (worker 0) writes the run's files; the other worker writes no checkpoint.
    assert (tmp_path / "worker0" / "checkpoint" / "state.json").is_file()
    assert not (tmp_path / "worker1" / "checkpoint").exists()
