"""Training on a tiny model: the loss falls, files are written, resume continues, data is seeded."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from composeium_desktop.core.features.metric import FEATURE_SIZES
from composeium_desktop.core.model.config import TransformerConfig
from composeium_desktop.core.model.testing import TINY_BODY_VOCAB, tiny_config, tiny_records
from composeium_desktop.core.training.data import (
    BucketedBatches,
    bucket_boundaries,
    encode_record,
    ending_weights,
    ends_off_tonic,
    has_wrong_bars,
    split_records,
)
from composeium_desktop.core.training.fit import train
from composeium_desktop.core.training.options import TrainOptions
from composeium_desktop.core.training.runtime import copy_matching_weights


def _example(meta: list[int], body: list[int]) -> tuple:
    """An example with features that identify each input position (row i is all i)."""
    metric = np.repeat(
        np.arange(len(body) - 1, dtype=np.int32)[:, None], len(FEATURE_SIZES), axis=1
    )
    return meta, body, metric


def _options(out_dir, **overrides) -> TrainOptions:
    settings = dict(
        out_dir=out_dir,
        steps=16,
        val_every=8,
        batch_size=4,
        # The project's tiny sizes; the metadata vocabulary's size is the data's own.
        model=replace(tiny_config(TINY_BODY_VOCAB, meta_vocab=1), dropout=0.0),
        lr=3e-3,
        warmup=4,
        buckets=1,
        jit_compile=False,
        patience=10,
        quiet=True,
    )
    settings.update(overrides)
    return TrainOptions(**settings)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, train(_options(out), records=list(tiny_records()))


def test_loss_falls_and_files_are_written(trained) -> None:
    out, result = trained
    losses = [h["train_loss"] for h in result.history]
    val = [h["val_loss"] for h in result.history]
    assert len(result.history) == 2
    assert losses[-1] < losses[0] - 0.3
    assert val[-1] < val[0]
    written = ("composeium.keras", "config.json", "history.json", "TrainingProgress.png")
    for name in (*written, "lengths.json", "wellformed.json"):
        assert (out / name).is_file(), name
    assert (out / "tokenizer" / "body.model").is_file()
    history = json.loads((out / "history.json").read_text())
    assert history["stopped"] == "steps"
    assert history["data"]["train_tunes"] > 0
    assert result.best_val_loss == pytest.approx(min(val))


def test_best_model_loads_without_optimizer_state(trained) -> None:
    from composeium_desktop.core.model import load_model
    from composeium_desktop.core.tokenizer import ABCTokenizer

    out, result = trained
    model = load_model(out)
    assert model.config.vocab_size == ABCTokenizer.load(out).vocab_size
    assert getattr(model, "optimizer", None) is None


@pytest.mark.slow
def test_resume_continues_from_the_checkpoint(trained, tmp_path) -> None:
    import shutil

    out, first = trained
    copy = tmp_path / "resumed"
    shutil.copytree(out, copy)
    resumed = train(_options(copy, steps=24, resume=True), records=list(tiny_records()))
    steps = [h["step"] for h in resumed.history]
    assert steps == [8, 16, 24]
    assert resumed.history[:2] == first.history


@pytest.mark.slow
def test_time_budget_stops_the_run(tmp_path) -> None:
    result = train(
        _options(tmp_path, steps=10_000, max_minutes=0.0001), records=list(tiny_records())
    )
    assert result.stopped == "time budget"
    assert result.steps < 10_000


def test_same_seed_gives_the_same_batches_and_another_seed_does_not() -> None:
    rng = np.random.default_rng(0)
    examples = [
        _example([1, 2], [2] + list(rng.integers(4, 50, size=n)) + [3]) for n in range(5, 90)
    ]
    data = BucketedBatches(
        examples, bucket_boundaries([len(b) - 1 for _, b, _ in examples], 3), 256, 4
    )
    first = [b[1].tolist() for b, _ in zip(data.training_stream(7), range(12), strict=False)]
    again = [b[1].tolist() for b, _ in zip(data.training_stream(7), range(12), strict=False)]
    other = [b[1].tolist() for b, _ in zip(data.training_stream(8), range(12), strict=False)]
    assert first == again
    assert first != other
    skipped = [
        b[1].tolist() for b, _ in zip(data.training_stream(7, skip=5), range(7), strict=False)
    ]
    assert skipped == first[5:]


def test_batches_pad_only_to_their_bucket_and_targets_shift_by_one() -> None:
    examples = [
        _example([5], [2, 10, 11, 3]),
        _example([6, 7], [2, 12, 13, 14, 15, 16, 17, 18, 19, 3]),
    ]
    data = BucketedBatches(examples, [8, 16], tokens_per_batch=16, meta_len=4)
    batches = data.fixed_batches()
    shapes = sorted(b[1].shape for b in batches)
    assert shapes == [(1, 16), (2, 8)]
    small = next(b for b in batches if b[1].shape == (2, 8))
    np.testing.assert_array_equal(small[1][0, :3], [2, 10, 11])
    # Each input token's features sit beside it; padding has "unknown" (0) features.
    assert small[2].shape == (2, 8, len(FEATURE_SIZES))
    np.testing.assert_array_equal(small[2][0, :3, 0], [0, 1, 2])
    assert small[2][0, 3:].sum() == 0
    np.testing.assert_array_equal(small[3][0, :3], [10, 11, 3])
    assert small[3][1].sum() == 0  # the padding row has no targets


def _weighted_text(record, bars: int, max_body_len: int = 512) -> tuple[str, np.ndarray]:
    """(text of the targets weighted 3, all weights) of one record, "$" for the end token."""
    from composeium_desktop.core.model.testing import _tiny_tokenizer_dir
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab

    tokenizer = ABCTokenizer.load(_tiny_tokenizer_dir())
    example = encode_record(
        record, tokenizer, MetadataVocab.load(_tiny_tokenizer_dir()), max_body_len
    )
    # A second row of padding only, as the last batch of a bucket has.
    data = BucketedBatches([example], [len(example[1]) + 4], 2 * (len(example[1]) + 4), 16)
    (_, _, metric, target), *_ = data.fixed_batches()
    weights = ending_weights(metric, target, tokenizer.eos_id, 3.0, bars)
    pieces = ["$" if t == tokenizer.eos_id else tokenizer.pieces[t] for t in target[0] if t]
    text = "".join(p for p, w in zip(pieces, weights[0], strict=False) if w == 3.0)
    return text, weights


def test_ending_weights_cover_the_last_bars_and_the_end_token() -> None:
    record = replace(tiny_records()[0], meter="2/4", body="AB cd|AB cd|ef ga|g2 e2|c4|]")
    for bars, bar_lines in ((1, 1), (2, 2), (3, 3)):
        text, weights = _weighted_text(record, bars)
        body = record.body + "$"
        # A suffix of the tune: its last ``bars`` bars (a piece that straddles the bar line
        # before them counts with the bar it starts in), the closing bar line, the end token.
        assert body.endswith(text) and text.endswith("|]$"), (bars, text)
        assert text.count("|") == bar_lines, (bars, text)
        assert len(text) > 2 + 2 * bars
        real = weights[0] > 0
        assert set(weights[0][real].tolist()) == {1.0, 3.0}
        assert not weights[0][~real].any() and not weights[1].any()  # padding weighs nothing
    # A tune cut before its end token, or no emphasis asked for: every target weighs 1.
    _, cut = _weighted_text(record, 1, max_body_len=6)
    assert set(cut[0][cut[0] > 0].tolist()) == {1.0}
    plain = ending_weights(np.zeros((1, 3, 5), np.int32), np.array([[7, 8, 0]]), 8, 1.0)
    assert plain.tolist() == [[1.0, 1.0, 0.0]]


def test_the_weighted_loss_is_the_weighted_mean_over_real_targets() -> None:
    from composeium_desktop.core.model.objectives import MaskedCrossEntropy

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 7)).astype(np.float32)
    target = np.array([[3, 4, 5, 6, 0], [1, 2, 0, 0, 0]], np.int32)
    weights = np.array([[1, 1, 3, 3, 0], [3, 1, 0, 0, 0]], np.float32)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, target[..., None], -1)[..., 0]
    real = target != 0
    loss = MaskedCrossEntropy()
    assert float(loss(target, logits)) == pytest.approx(nll[real].mean(), rel=1e-5)
    weighted = float(loss(target, logits, sample_weight=weights))
    expected = (nll * weights)[real].sum() / weights[real].sum()
    assert weighted == pytest.approx(expected, rel=1e-5)
    assert abs(weighted - nll[real].mean()) > 0.01


def test_the_hazard_term_adds_minus_log_of_the_allowed_mass() -> None:
    """Targets arrive as token + vocab * row; each position adds -w ln(1 - p(row's pieces))."""
    from composeium_desktop.core.model.objectives import MaskedCrossEntropy

    rng = np.random.default_rng(1)
    vocab = 7
    logits = rng.normal(size=(2, 4, vocab)).astype(np.float32)
    target = np.array([[3, 4, 5, 0], [1, 2, 6, 0]], np.int32)
    rows = np.array([[1, 2, 0, 0], [2, 0, 1, 0]], np.int32)
    hazards = [(), (0, 5, 6), (1,)]
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    nll = -np.log(np.take_along_axis(probs, target[..., None], -1)[..., 0])
    forbidden = np.zeros((2, 4))
    for (b, t), row in np.ndenumerate(rows):
        forbidden[b, t] = probs[b, t, list(hazards[row])].sum()
    real = target != 0
    expected = (nll - 2.0 * np.log(1.0 - forbidden))[real].mean()
    loss = MaskedCrossEntropy(hazard_weight=2.0, hazards=hazards, vocab_size=vocab)
    encoded = target + vocab * rows * real
    assert float(loss(encoded, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(encoded, logits)) > nll[real].mean() + 0.05
    again = MaskedCrossEntropy.from_config(loss.get_config())
    assert float(again(encoded, logits)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="hazard rows"):
        MaskedCrossEntropy(hazard_weight=1.0)


def test_batches_write_each_targets_hazard_row_into_it() -> None:
    examples = [_example([5], [1, 7, 8, 9, 2]), _example([6], [1, 7, 2])]
    rows = [np.array([3, 1, 0, 0], np.int32), np.array([2, 0], np.int32)]
    plain = BucketedBatches(examples, [8], 16, meta_len=2).fixed_batches()[0][3]
    coded = BucketedBatches(examples, [8], 16, 2, hazard_rows=rows, vocab_size=10)
    target = coded.fixed_batches()[0][3]
    assert (target % 10 == plain).all()
    assert target[0, :4].tolist() == [7 + 30, 8 + 10, 9, 2]
    assert target[1, :2].tolist() == [7 + 20, 2]
    assert (target[plain == 0] == 0).all()  # padding stays 0
    with pytest.raises(ValueError, match="one array per example"):
        BucketedBatches(examples, [8], 16, 2, hazard_rows=rows[:1], vocab_size=10)


def _forbidden_mass(out_dir, records) -> float:
    """Mean probability a saved model gives the hazard pieces at the positions of tunes."""
    from composeium_desktop.core.features.syntax_hazards import HazardTable
    from composeium_desktop.core.model import load_model
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab

    model = load_model(out_dir)
    tokenizer, meta_vocab = ABCTokenizer.load(out_dir), MetadataVocab.load(out_dir)
    table = HazardTable(tokenizer.pieces)
    examples = [encode_record(r, tokenizer, meta_vocab, 512) for r in records]
    codes = [table.codes(body[1:-1]) for _, body, _ in examples]
    batch = BucketedBatches(examples, [512], 512 * len(examples), meta_vocab.max_len)
    meta, body, metric, target = batch.fixed_batches()[0]
    logits = np.asarray(model({"meta": meta, "body": body, "metric": metric}, training=False))
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    matrix = table.matrix(tokenizer.vocab_size)
    masses = [(probs[i, : len(c)] * matrix[c]).sum(-1)[c != 0] for i, c in enumerate(codes)]
    return float(np.concatenate(masses).mean())


@pytest.mark.slow
def test_the_syntax_penalty_lowers_the_probability_of_unreadable_pieces(trained, tmp_path) -> None:
    out, plain = trained
    records = list(tiny_records())
    messages: list[str] = []
    options = _options(tmp_path, syntax_penalty=5.0)
    penalised = train(options, records=records, log=messages.append)
    assert any(m.startswith("syntax hazards: ") for m in messages)
    losses = [h["train_loss"] for h in penalised.history]
    assert losses[-1] < losses[0] - 0.3  # it still learns the tunes
    saved = json.loads((tmp_path / "history.json").read_text())["options"]
    assert saved["syntax_penalty"] == 5.0
    train_part = [r for r in records if r.split == "train"][:16]
    # Same seed and batches as the plain run: the penalty alone cuts the hazard mass by a third.
    assert _forbidden_mass(tmp_path, train_part) < 0.75 * _forbidden_mass(out, train_part)


@pytest.mark.slow
def test_training_with_ending_weight_trains_on_the_weighted_loss(trained, tmp_path) -> None:
    _, plain = trained
    weighted = train(_options(tmp_path, ending_weight=4.0), records=list(tiny_records()))
    losses = [h["train_loss"] for h in weighted.history]
    assert losses[-1] < losses[0] - 0.3
    # Same seed, same batches: only the weights differ, so the run does too.
    assert losses != [h["train_loss"] for h in plain.history]
    saved = json.loads((tmp_path / "history.json").read_text())["options"]
    assert saved["ending_weight"] == 4.0 and saved["ending_bars"] == 1


def test_bucket_boundaries_cover_every_length_and_reduce_padding() -> None:
    lengths = list(range(1, 300)) + [500]
    bounds = bucket_boundaries(lengths, 5)
    assert len(bounds) <= 5 and bounds[-1] >= 500
    padded = sum(next(b for b in bounds if b >= n) for n in lengths)
    assert padded < len(lengths) * 500 * 0.5


def test_split_records_lends_validation_tunes_when_a_corpus_has_none() -> None:
    records = [replace(r, split="train") for r in tiny_records()]
    train_part, val_part = split_records(records)
    assert val_part and len(train_part) + len(val_part) == len(records)


def test_resume_reads_checkpoints_written_with_flat_model_sizes(tmp_path) -> None:
    """state.json of runs started before the options held a TransformerConfig (the shipped
    model's run among them) still resumes with its own sizes."""
    from composeium_desktop.core.training.checkpoints import merge_resumed

    new_keys = ("model", "drop_wrong_bars", "init_from", "tonic_endings_only", "syntax_penalty")
    legacy = {
        **{k: v for k, v in _options(tmp_path).to_json().items() if k not in new_keys},
        "d_model": 64,
        "layers": 3,
        "heads": 4,
        "ff": 256,
        "dropout": 0.2,
        "vocab_size": 700,
        "max_body_len": 300,
    }
    merged = merge_resumed(_options(tmp_path, steps=99, resume=True), legacy)
    assert merged.model == TransformerConfig(
        vocab_size=700,
        d_model=64,
        encoder_layers=3,
        decoder_layers=3,
        num_heads=4,
        d_ff=256,
        dropout=0.2,
        max_body_len=300,
        metric_features=False,  # those runs' decoders read tokens only
        length_feature=False,
        metric_scaled=False,  # and none had scaled feature embeddings
        form_features=False,
    )
    assert merged.steps == 99 and merged.resume
    assert merged.drop_wrong_bars is False and merged.init_from is None
    assert merged.tonic_endings_only is False and merged.syntax_penalty == 0.0
    again = merge_resumed(_options(tmp_path), merged.to_json())
    assert again.model == merged.model


@pytest.mark.slow
def test_train_command_splits_a_run_with_until_and_resume(tmp_path) -> None:
    from composeium_desktop.cli import main
    from composeium_desktop.core.corpus import music21_corpus_dir
    from composeium_desktop.core.model.objectives import WarmupDecay

    folder = music21_corpus_dir() / "oneills1850"
    corpus = [str(folder / "0001-0050.abc"), str(folder / "0051-0100.abc")]
    out = tmp_path / "run"
    tiny = ["--batch-size", "4", "--d-model", "32", "--layers", "1", "--heads", "2"]
    tiny += ["--ff", "64", "--vocab-size", str(TINY_BODY_VOCAB), "--no-xla", "--quiet"]
    args = ["train", "--out", str(out), "--corpus", *corpus, "--steps", "6", "--val-every", "2"]
    flags = ["--tonic-endings-only", "--syntax-penalty", "0.5", "--lr", "3e-3", "--warmup", "2"]
    assert main([*args, "--until", "3", *flags, *tiny]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["stopped"] == "until"
    # The schedule spans --steps (6), not --until: the LR at step 3 is that of a 6-step run.
    expected_lr = float(WarmupDecay(3e-3, 2, 6)(3))
    assert history["history"][-1]["lr"] == pytest.approx(expected_lr, rel=1e-5)
    assert history["options"]["tonic_endings_only"] is True
    assert history["options"]["syntax_penalty"] == 0.5
    assert [h["step"] for h in history["history"]] == [2, 3]
    assert history["config"]["d_model"] == 32 and history["config"]["encoder_layers"] == 1
    assert main(["train", "--out", str(out), "--resume", "--steps", "6", "--quiet"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["step"] for h in history["history"]] == [2, 3, 5, 6]
    assert history["stopped"] == "steps"
    assert history["config"]["d_model"] == 32  # the checkpoint's sizes, not the defaults
    assert history["options"]["tonic_endings_only"] is True  # and its data
    assert history["options"]["syntax_penalty"] == 0.5  # and its loss


def test_tunes_with_wrong_length_bars_are_found() -> None:
    record = tiny_records()[0]
    assert not has_wrong_bars(replace(record, meter="6/8", body="A2Bc2d|e2fg2a|B3c3|]\n"))
    assert has_wrong_bars(replace(record, meter="6/8", body="A2Bc2d|e2f|g2ab2c|]\n"))
    assert has_wrong_bars(replace(record, meter="6/8", body="A2Bc2d|e2fg2ab|c6|]\n"))
    # A pickup and a short final bar that completes it are right.
    assert not has_wrong_bars(replace(record, meter="6/8", body="A|B2cd2e|f2ga2B|c5|]\n"))


def test_training_leaves_out_tunes_with_wrong_bars(tmp_path) -> None:
    records = list(tiny_records())
    train_part = [r for r in records if r.split == "train"]
    wrong = [replace(r, body="A2Bc2d|e2f|g2ab2c|]\n", meter="6/8") for r in train_part[:5]]
    messages: list[str] = []
    result = train(
        _options(tmp_path, steps=2, val_every=2), records=records + wrong, log=messages.append
    )
    dropped = sum(has_wrong_bars(r) for r in train_part) + len(wrong)
    assert f"left out {dropped} training tunes with wrong-length bars" in messages
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["data"]["train_tunes"] == len(train_part) + len(wrong) - dropped
    assert result.steps == 2


def test_tunes_ending_off_the_tonic_are_found() -> None:
    """Bodies are in C of their mode: the tonic is C in every mode, whatever the signature."""
    record = replace(tiny_records()[0], meter="6/8")
    assert not ends_off_tonic(replace(record, mode="major", body="A2Bc2d|e2dc3|]\n"))
    assert ends_off_tonic(replace(record, mode="major", body="A2Bc2d|e2dG3|]\n"))
    # In C minor the E is flat and the tonic is still C; a bar's accidental carries to its end.
    assert not ends_off_tonic(replace(record, mode="minor", body="G2FE2D|E2DC3|]\n"))
    assert ends_off_tonic(replace(record, mode="minor", body="G2FE2D|^C2DC3|]\n"))
    assert not ends_off_tonic(replace(record, mode="minor", body="G2F^C2D|E2DC3|]\n"))
    assert not ends_off_tonic(replace(record, mode="dorian", body="DEF GFE|DEF C3\n"))
    assert ends_off_tonic(replace(record, mode="dorian", body="DEF GFE|DEF ^C3|]\n"))
    assert ends_off_tonic(replace(record, mode="major", body="z6|z6|]\n"))  # no note at all


def test_training_can_leave_out_tunes_not_ending_on_the_tonic(tmp_path) -> None:
    records = list(tiny_records())
    train_part = [r for r in records if r.split == "train"]
    val_part = [r for r in records if r.split == "validation"]
    off = [replace(r, meter="6/8", mode="major", body="A2Bc2d|e2dG3|]\n") for r in train_part[:4]]
    assert all(ends_off_tonic(r) and not has_wrong_bars(r) for r in off)
    without_bars = [r for r in train_part + off if not has_wrong_bars(r)]
    kept = [r for r in without_bars if not ends_off_tonic(r)]
    left_out = sum(ends_off_tonic(r) for r in train_part if not has_wrong_bars(r)) + len(off)
    messages: list[str] = []
    options = _options(tmp_path, steps=2, val_every=2, tonic_endings_only=True)
    train(options, records=records + off, log=messages.append)
    assert f"left out {left_out} training tunes not ending on the tonic" in messages
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["data"]["train_tunes"] == len(kept)
    assert history["data"]["validation_tunes"] == len(val_part)  # validation keeps them all
    assert history["options"]["tonic_endings_only"] is True
    # Off by default: every tune with right bars is trained on.
    train(_options(tmp_path / "all", steps=2, val_every=2), records=records + off)
    history = json.loads((tmp_path / "all" / "history.json").read_text())
    assert history["data"]["train_tunes"] == len(without_bars)


def test_warm_start_keeps_a_trained_model_and_adds_the_metric_features(tmp_path) -> None:
    """--init-from a model without metric features: every weight it has is copied, the new
    embeddings start at zero, so the new model computes exactly what the old one did."""
    import keras

    from composeium_desktop.core.model import build_model, save_model
    from composeium_desktop.core.model.testing import make_tiny_model_dir

    source_dir = make_tiny_model_dir(tmp_path / "old")
    from composeium_desktop.core.model import load_model

    with_features = load_model(source_dir)
    legacy_config = replace(with_features.config, metric_features=False)
    keras.utils.set_random_seed(5)
    legacy = build_model(legacy_config)
    save_model(legacy, source_dir)
    fresh = build_model(replace(legacy_config, metric_features=True))
    copied, new = copy_matching_weights(legacy, fresh)
    assert copied == len(legacy.weights)
    assert new == [f"metric_embedding/table_{i}" for i in range(len(FEATURE_SIZES))]
    meta = np.array([[3, 4, 5] + [0] * 45], np.int32)
    body = np.array([[2, 7, 8, 9]], np.int32)
    metric = np.array([[[5, 6, 7, 8, 9, 1, 2, 3, 1]] * 4], np.int32)
    np.testing.assert_allclose(
        np.asarray(fresh({"meta": meta, "body": body, "metric": metric})),
        np.asarray(legacy({"meta": meta, "body": body})),
        atol=1e-6,
    )
    messages: list[str] = []
    result = train(
        _options(tmp_path / "warm", steps=2, val_every=2, init_from=source_dir),
        records=list(tiny_records()),
        log=messages.append,
    )
    assert any(m.startswith(f"initialised {copied} weights from") for m in messages)
    config = json.loads((tmp_path / "warm" / "history.json").read_text())["config"]
    assert config["metric_features"] is True
    assert config["d_model"] == legacy_config.d_model
    assert result.steps == 2


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (["--until", "7"], "--until must be between 1 and --steps"),
        (["--until", "0"], "--until must be between 1 and --steps"),
        (["--d-model", "30", "--heads", "4"], "--d-model must be a multiple of --heads"),
        (["--dropout", "1"], "--dropout must be in [0, 1)"),
        (["--ending-weight", "0"], "--ending-weight must be positive"),
        (["--ending-bars", "0"], "--ending-bars must be at least 1"),
        (["--syntax-penalty", "-1"], "--syntax-penalty must be at least 0"),
        (["--init-from", "no/such/model"], "--init-from: no saved model"),
    ],
)
def test_train_command_rejects_bad_settings_with_exit_2(tmp_path, bad, says, capsys) -> None:
    from composeium_desktop.cli import main

    assert main(["train", "--out", str(tmp_path), "--steps", "6", *bad]) == 2
    assert says in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was started
