"""`composeium train`: train the Transformer on the corpus (or the user's ABC) into a folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composeium_desktop.core.training.options import TrainOptions

NAME = "train"
HELP = "Train the model on the music21 folk corpus or your own ABC files."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from composeium_desktop.core.training.options import BUCKET_COUNT

    add = parser.add_argument
    add(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: runs/<date-time>); the shipped model lives in model/",
    )
    add(
        "--corpus",
        type=Path,
        nargs="+",
        default=[],
        metavar="PATH",
        help="train on these ABC files or folders instead of the bundled music21 corpus",
    )
    add(
        "--with-music21",
        action="store_true",
        help="with --corpus: train on the bundled corpus plus those files",
    )
    add(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in --out (keeps its data and model settings)",
    )
    add("--steps", type=int, default=20000, help="maximum optimizer steps (default 20000)")
    add(
        "--until",
        type=int,
        default=None,
        metavar="STEP",
        help="stop after this step (validated and checkpointed) while the learning-rate "
        "schedule still spans --steps; resume later with --resume: a run split across "
        "sessions reproducibly",
    )
    add("--max-minutes", type=float, default=None, help="wall-clock budget for this invocation")
    add(
        "--batch-size",
        type=int,
        default=32,
        help="batch size at 256 tokens; batches hold batch-size x 256 tokens (default 32)",
    )
    add("--d-model", type=int, default=128)
    add("--layers", type=int, default=4, help="encoder and decoder layers each (default 4)")
    add("--heads", type=int, default=8)
    add("--ff", type=int, default=512, help="feed-forward width (default 512)")
    add("--dropout", type=float, default=0.1)
    add("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    add("--warmup", type=int, default=300, help="linear warm-up steps (default 300)")
    add(
        "--schedule",
        choices=("cosine", "rsqrt"),
        default="cosine",
        help="decay after warm-up: cosine to --steps, or inverse square root",
    )
    add("--weight-decay", type=float, default=0.01)
    add("--label-smoothing", type=float, default=0.0)
    add(
        "--ending-weight",
        type=float,
        default=1.0,
        help="loss weight of each tune's last bars and end token (default 1: no emphasis)",
    )
    add(
        "--ending-bars",
        type=int,
        default=1,
        help="how many last bars --ending-weight covers (default 1)",
    )
    add("--val-every", type=int, default=200, help="validate and checkpoint every N steps")
    add(
        "--patience",
        type=int,
        default=4,
        help="stop after N validations without improvement (default 4)",
    )
    add("--vocab-size", type=int, default=1000, help="body tokenizer vocabulary (default 1000)")
    add("--max-body-len", type=int, default=512, help="longest body in tokens (longer are cut)")
    add("--buckets", type=int, default=BUCKET_COUNT, help="length buckets (compiled shapes)")
    add("--seed", type=int, default=0, help="data order and initialisation seed")
    add(
        "--strategy",
        choices=("default", "mirrored", "multiworker"),
        default="default",
        help="tf.distribute strategy: default, mirrored (several GPUs), multiworker (TF_CONFIG)",
    )
    add(
        "--init-from",
        type=Path,
        default=None,
        metavar="DIR",
        help="start from the weights of this saved model folder (its sizes and tokenizer); "
        "weights it lacks, such as the metric-feature embeddings, start at zero",
    )
    add(
        "--no-metric-features",
        action="store_true",
        help="the decoder reads tokens only, not each token's position in the bar",
    )
    add(
        "--no-length-feature",
        action="store_true",
        help="the decoder is not told how many bars the tune should have",
    )
    add(
        "--form-features",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="the decoder also reads where it stands in the tune's form: part, bar in the part, "
        "bars to go in the part, ending (the shipped model's stage 9 adds them; off by default "
        "so the recipe's earlier stages train as they did)",
    )
    add(
        "--no-metric-scale",
        action="store_true",
        help="add the metric features' embeddings unscaled (as models before it did); by "
        "default they are scaled by sqrt(d-model) like the token embeddings",
    )
    add(
        "--keep-wrong-bars",
        action="store_true",
        help="also train on tunes with bars of the wrong length (left out by default)",
    )
    add(
        "--tonic-endings-only",
        action="store_true",
        help="train only on tunes whose last note is the tonic of their key (the validation "
        "split keeps every tune)",
    )
    add(
        "--syntax-penalty",
        type=float,
        default=0.0,
        metavar="W",
        help="weight of a loss term against the probability of pieces that would make the "
        "text unreadable ABC where they stand (default 0: plain cross-entropy)",
    )
    add("--no-xla", action="store_true", help="do not compile the train step with XLA")
    add("--quiet", action="store_true", help="no progress output")  # fmt: skip
    add(
        "--recipe",
        default=None,
        metavar="NAME",
        help="run every stage of a training recipe (shipped: the shipped model; tiny: a test) "
        "under --out (default runs/NAME), skipping finished stages, continuing one cut short",
    )
    add("--dry-run", action="store_true", help="with --recipe: print its stage commands")


def _check_arguments(args: argparse.Namespace) -> None:
    """Raises UsageError for a setting train() would refuse or misread."""
    from composeium_desktop.commands import UsageError

    for name in ("steps", "batch_size", "d_model", "layers", "heads", "ff", "val_every",
                 "vocab_size", "max_body_len", "buckets"):  # fmt: skip
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.until is not None and not 1 <= args.until <= args.steps:
        raise UsageError("--until must be between 1 and --steps")
    if args.d_model % args.heads:
        raise UsageError("--d-model must be a multiple of --heads")
    if args.ending_weight <= 0.0:
        raise UsageError("--ending-weight must be positive")
    if args.syntax_penalty < 0.0:
        raise UsageError("--syntax-penalty must be at least 0")
    if args.ending_bars < 1:
        raise UsageError("--ending-bars must be at least 1")
    if not 0.0 <= args.dropout < 1.0:
        raise UsageError("--dropout must be in [0, 1)")
    if args.with_music21 and not args.corpus:
        raise UsageError("--with-music21 only makes sense with --corpus")
    for path in args.corpus:
        if not path.exists():
            raise UsageError(f"no such ABC file or folder: {path}")
    if args.resume and args.out is None:
        raise UsageError("--resume needs --out DIR")
    if args.init_from is not None and not (args.init_from / "composeium.keras").is_file():
        raise UsageError(f"--init-from: no saved model (composeium.keras) in {args.init_from}")


def _options(args: argparse.Namespace) -> TrainOptions:
    from composeium_desktop.core.model.config import TransformerConfig
    from composeium_desktop.core.training.options import TrainOptions

    out = args.out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    return TrainOptions(
        out_dir=out,
        corpus=list(args.corpus),
        include_music21=args.with_music21 or not args.corpus,
        steps=args.steps,
        until=args.until,
        max_minutes=args.max_minutes,
        batch_size=args.batch_size,
        model=TransformerConfig(
            vocab_size=args.vocab_size,
            d_model=args.d_model,
            encoder_layers=args.layers,
            decoder_layers=args.layers,
            num_heads=args.heads,
            d_ff=args.ff,
            dropout=args.dropout,
            max_body_len=args.max_body_len,
            metric_features=not args.no_metric_features,
            length_feature=not args.no_length_feature,
            metric_scaled=not args.no_metric_scale,
            form_features=args.form_features,
        ),
        lr=args.lr,
        warmup=args.warmup,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        label_smoothing=args.label_smoothing,
        ending_weight=args.ending_weight,
        ending_bars=args.ending_bars,
        val_every=args.val_every,
        patience=args.patience,
        buckets=args.buckets,
        seed=args.seed,
        strategy=args.strategy,
        drop_wrong_bars=not args.keep_wrong_bars,
        tonic_endings_only=args.tonic_endings_only,
        syntax_penalty=args.syntax_penalty,
        init_from=args.init_from,
        jit_compile=not args.no_xla,
        resume=args.resume,
        quiet=args.quiet,
    )


def run(args: argparse.Namespace) -> int:
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.training.fit import train

    if args.recipe is not None:
        from composeium_desktop.commands import train_recipe

        command = train_recipe.TrainCommand(add_arguments, _check_arguments, _options)
        return train_recipe.run(args, command)
    if args.dry_run:
        raise UsageError("--dry-run goes with --recipe")
    _check_arguments(args)
    options = _options(args)
    try:
        train(options)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    return 0
