"""A training process for the tf.distribute tests (run as a script, in a fresh process, since
devices and TF_CONFIG must be set before TensorFlow starts).

``python distributed_worker.py mirrored OUT RESULT``: the machine's CPU split into two logical
devices, the same tiny run under the default strategy and under MirroredStrategy; ``... multiworker
OUT RESULT``: one worker of MultiWorkerMirroredStrategy (TF_CONFIG from the parent). RESULT gets
each run's history and replica count as JSON."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

STEPS = 6
VAL_EVERY = 3


def _train(out: Path, strategy: str) -> dict:
    from composeium_desktop.core.model.testing import TINY_BODY_VOCAB, tiny_config, tiny_records
    from composeium_desktop.core.training.fit import train
    from composeium_desktop.core.training.options import TrainOptions
    from composeium_desktop.core.training.runtime import make_strategy

    options = TrainOptions(
        out_dir=out,
        steps=STEPS,
        val_every=VAL_EVERY,
        batch_size=8,
        model=replace(tiny_config(TINY_BODY_VOCAB, meta_vocab=1), dropout=0.0),
        lr=3e-3,
        warmup=2,
        buckets=1,
        jit_compile=False,
        patience=10,
        quiet=True,
        strategy=strategy,
    )
    result = train(options, records=list(tiny_records()))
    return {
        "history": result.history,
        "replicas": int(make_strategy(strategy).num_replicas_in_sync),
        "finite": all(math.isfinite(h["train_loss"]) for h in result.history),
    }


def main() -> None:
    mode, out, result = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    import tensorflow as tf

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        runs = {name: _train(out / name, name) for name in ("default", "mirrored")}
    else:
        runs = {"multiworker": _train(out, "multiworker")}
    result.write_text(json.dumps(runs), encoding="utf-8")


if __name__ == "__main__":
    main()
