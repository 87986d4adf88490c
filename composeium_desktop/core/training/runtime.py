"""The model under training: warm-start weight copying, tf.distribute strategies, compiling
with the project's loss, and the exact token-weighted negative log-likelihood."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from composeium_desktop.core.training.options import Batch, TrainOptions


def copy_matching_weights(source: Any, target: Any) -> tuple[int, list[str]]:
    """Assign each of target's weights the source weight at the same path (the model's own
    name left out) and shape; returns (weights copied, paths of those left as initialised).

    Metric tables are multiplied by source scale / target scale, so a model whose feature
    embeddings are scaled computes what the unscaled source did."""

    def key(variable: Any) -> str:
        return variable.path.split("/", 1)[-1]

    def metric_scale(model: Any) -> float:
        layer = getattr(model, "metric_embedding", None)
        return 1.0 if layer is None else layer.scale

    ratio = metric_scale(source) / metric_scale(target)
    found = {key(v): v for v in source.weights}
    copied, fresh = 0, []
    for variable in target.weights:
        other = found.get(key(variable))
        if other is not None and tuple(other.shape) == tuple(variable.shape):
            rescale = ratio != 1.0 and key(variable).startswith("metric_embedding/")
            variable.assign(other * ratio if rescale else other)
            copied += 1
        else:
            fresh.append(key(variable))
    return copied, fresh


def make_strategy(name: str) -> Any:
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # Without GPUs MirroredStrategy() takes one CPU; a machine split into logical CPU
        # devices (tf.config.set_logical_device_configuration) mirrors over all of them.
        cpus = tf.config.list_logical_devices("CPU")
        if not tf.config.list_logical_devices("GPU") and len(cpus) > 1:
            return tf.distribute.MirroredStrategy([d.name for d in cpus])
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r} (default, mirrored, multiworker)")


def is_chief(strategy: Any) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and int(resolver.task_id or 0) == 0
    )


def compile_model(
    model: Any,
    options: TrainOptions,
    optimizer: Any = None,
    hazards: Sequence[Sequence[int]] = (),
) -> None:
    """Compiles ``model`` for training; ``hazards`` are the rows of ``HazardTable`` when
    ``options.syntax_penalty`` is on."""
    import keras

    from composeium_desktop.core.model.objectives import MaskedCrossEntropy, TokenCount, WarmupDecay

    if optimizer is None:
        schedule = WarmupDecay(options.lr, options.warmup, options.steps, options.schedule)
        optimizer = keras.optimizers.AdamW(
            learning_rate=schedule,
            weight_decay=options.weight_decay,
            beta_2=0.98,
            global_clipnorm=1.0,
        )
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "norm"])
    model.compile(
        optimizer=optimizer,
        loss=MaskedCrossEntropy(
            options.label_smoothing,
            hazard_weight=options.syntax_penalty,
            hazards=hazards,
            vocab_size=model.config.vocab_size if options.syntax_penalty else 0,
        ),
        metrics=[TokenCount()],
        jit_compile=options.jit_compile,
    )
    _build_from_local_batch(model)


def _build_from_local_batch(model: Any) -> None:
    """Under MultiWorkerMirroredStrategy, ``fit`` builds the model from its first batch's
    local values rather than their mean over the workers.

    Keras 3 reduces the first batch's whole (inputs dict, targets) structure with one
    ``strategy.reduce`` call, which the multi-worker strategy refuses for a dict of inputs
    (keras-team/keras#20329: "Attempt to convert a value ({'meta': PerReplica...})"). The
    build needs only the batch's shapes, which every replica's local value has."""
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return

    def local(value: Any) -> Any:
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def build(iterator: Any = None, data_batch: Any = None) -> None:
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = build
    _reduce_scalars_across_workers()


def _reduce_scalars_across_workers() -> None:
    """Keras 3 averages each train step's logs (loss, metrics: scalars) across workers with
    ``strategy.reduce("MEAN", v, axis=0)``, which fails on a scalar ("Invalid reduction
    dimension 0 for input with 0 dimensions"): scalars are averaged with ``axis=None``, and a
    worker with one replica (whose step outputs are plain tensors) reports its own, as Keras does
    without workers. Only a multi-worker strategy takes the patched branch."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    if getattr(original, "composeium_patched", False):
        return

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        if not trainer._collective_all_reduce_multi_worker(strategy) or reduction != "auto":
            return original(values, strategy, reduction)

        def mean(value: Any) -> Any:
            if not isinstance(value, tf.distribute.DistributedValues):
                return value  # one replica on this worker: its own logs, as Keras reports them
            return strategy.reduce("MEAN", value, axis=None if value.shape.rank == 0 else 0)

        return tf.nest.map_structure(mean, values)

    reduce_per_replica.composeium_patched = True  # type: ignore[attr-defined]
    trainer.reduce_per_replica = reduce_per_replica


def nll_function(model: Any, jit_compile: bool = True) -> Callable[[Batch], tuple[float, int]]:
    """(sum of -ln p over non-pad targets, number of such targets) of a batch; compiled once
    per batch shape."""
    import tensorflow as tf
    from keras import ops

    tf.get_logger().setLevel("ERROR")  # one trace per batch shape is expected

    @tf.function(jit_compile=jit_compile)
    def nll(meta: Any, body: Any, metric: Any, target: Any) -> tuple[Any, Any]:
        logits = model({"meta": meta, "body": body, "metric": metric}, training=False)
        log_probs = ops.log_softmax(logits, axis=-1)
        picked = ops.squeeze(ops.take_along_axis(log_probs, target[..., None], axis=-1), -1)
        mask = ops.cast(ops.not_equal(target, 0), "float32")
        return -ops.sum(picked * mask), ops.sum(mask)

    def run(batch: Batch) -> tuple[float, int]:
        total, count = nll(*batch)
        return float(total), int(count)

    return run


def mean_nll(batches: Sequence[Batch], nll: Callable[[Batch], tuple[float, int]]) -> float:
    total, count = 0.0, 0
    for batch in batches:
        t, c = nll(batch)
        total, count = total + t, count + c
    return total / max(count, 1)
