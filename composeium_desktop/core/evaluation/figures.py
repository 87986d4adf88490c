"""Honest evaluation: bits per character, an n-gram baseline, and generated-sample metrics.

- ``model_bits``: the Transformer's -log2 likelihood of normalised bodies (every token and the
  end token) and their character count, so bpc compares across tokenizers.
- ``ngram_bits``: the same text under core.ngram's character 5-gram trained on the train split.
- ``sample_metrics(samples, ...)``: structure and novelty of generated tunes given as
  (request, abc) pairs, so it can be tested with hand-written tunes; ``generate_samples``
  produces the pairs with core.generation (imported lazily) from metadata drawn like the
  corpus's.
- ``corpus_reference``: the corpus's own bar-error and tonic-end rates (the test-split tunes
  whose meter and mode the app offers: those the sample requests are drawn from).
- ``bootstrap_intervals``: 95% intervals of the sample rates (resampling whole tunes), so a
  figure 1 point from its target on 200 samples is read as the noise it may be.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

COPY_WINDOW = 32
BOOTSTRAP_RESAMPLES = 2000
EVAL_BATCH_TOKENS = 8192
EVAL_BUCKETS = 4
UNLIMITED_LENGTH = 1 << 16


@dataclass(frozen=True)
class SampleRequest:
    """Metadata for one generated sample (mirrors core.generation.GenerationRequest)."""

    title: str
    key: str
    meter: str
    genre: str
    seed: int
    # The length in bars the tune was meant to have (asked for or drawn); set by
    # generate_samples from what the generator reports, None when it had none.
    bars: int | None = None


# Likelihood.


def model_bits(
    model: Any, tokenizer: Any, meta_vocab: Any, records: Sequence[Any], jit_compile: bool = False
) -> tuple[float, int]:
    """(sum of -log2 p over every body token and EOS, characters of the bodies)."""
    from composeium_desktop.core.training.data import (
        BucketedBatches,
        bucket_boundaries,
        encode_record,
    )
    from composeium_desktop.core.training.runtime import nll_function

    if not records:
        return 0.0, 0
    # Scored without the length (as the n-gram baseline is): bits of the text alone.
    examples = [
        encode_record(r, tokenizer, meta_vocab, UNLIMITED_LENGTH, known_length=False)
        for r in records
    ]
    meta_len = max(len(m) for m, _, _ in examples)
    bounds = bucket_boundaries([len(b) - 1 for _, b, _ in examples], EVAL_BUCKETS)
    batches = BucketedBatches(examples, bounds, EVAL_BATCH_TOKENS, meta_len).fixed_batches()
    nll = nll_function(model, jit_compile)
    nats = sum(nll(batch)[0] for batch in batches)
    return nats / math.log(2), sum(len(r.body) for r in records)


def ngram_bits(ngram: Any, bodies: Iterable[str]) -> tuple[float, int]:
    bits, chars = 0.0, 0
    for body in bodies:
        bits += ngram.bits(body)
        chars += len(body)
    return bits, chars


def abc_file_records(paths: Sequence[Path]) -> tuple[list[Any], int]:
    """Records of the tunes in these ABC files, normalised like the corpus, and the number of
    tunes left out (lexer errors, no key, several voices ...)."""
    from composeium_desktop.core.corpus import records_and_skips

    records: list[Any] = []
    rejected = 0
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        found, skipped = records_and_skips(text, Path(path).stem)
        records.extend(found)
        rejected += sum(skipped.values())
    return records, rejected


# Structure of a tune.


def _tonic_pc(key: str) -> int:
    from composeium_desktop.core.abcnotation import parse_key, tonic_pc

    return tonic_pc(parse_key(key).tonic)


def last_note_pc(body: str, key: str) -> int | None:
    """Pitch class of the body's last note, with the key signature and the accidentals carried
    through its bar; None if the body has no note."""
    from composeium_desktop.core.abcnotation import key_signature, lex, note_midi, parse_key

    signature = key_signature(parse_key(key))
    carried: dict[tuple[str, str], int] = {}
    last = None
    for token in lex(body):
        if token.kind == "bar":
            carried.clear()
        elif token.kind == "field" and token.text[1:2] == "K":
            signature = key_signature(parse_key(token.text[3:-1]))
        elif token.kind == "note":
            accidental_text, letter, octave = token.data
            if accidental_text:
                accidental = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[accidental_text]
                carried[(letter, octave)] = accidental
            else:
                accidental = carried.get((letter, octave), signature.get(letter.upper(), 0))
            last = note_midi(letter, octave, accidental) % 12
    return last


def ends_on_tonic(body: str, key: str) -> bool:
    """Whether the body's last note is the tonic of ``key`` (False without a note); the
    tonic_end_rate's test, also used to pick training tunes."""
    return last_note_pc(body, key) == _tonic_pc(key)


def structure(body: str, key: str, meter: str, unit: str) -> tuple[int, int, bool]:
    """(wrong-length bars, bars, ends on the tonic) of a body."""
    from composeium_desktop.core.abcnotation import bar_errors, bar_lengths

    bars = len(bar_lengths(body, meter, unit))
    errors = len(bar_errors(body, meter, unit))
    return errors, bars, ends_on_tonic(body, key)


def corpus_reference(records: Sequence[Any]) -> dict[str, float]:
    """The corpus's own bar_error_rate, tonic_end_rate and median_bars (bars per tune) (bodies
    in C, unit 1/8)."""
    from composeium_desktop.core.abcnotation import TRAIN_UNIT, key_name

    errors = tonic = 0
    lengths: list[int] = []
    for record in records:
        try:
            e, b, t = structure(record.body, key_name("C", record.mode), record.meter, TRAIN_UNIT)
        except ValueError:
            continue
        errors, tonic = errors + e, tonic + t
        lengths.append(b)
    return {
        "bar_error_rate": errors / max(sum(lengths), 1),
        "tonic_end_rate": tonic / max(len(lengths), 1),
        "median_bars": float(np.median(lengths)) if lengths else None,
    }


# Generated samples.


def training_windows(bodies: Iterable[str], width: int = COPY_WINDOW) -> set[int]:
    """Hashes of every width-character window of these (normalised, tonic C) bodies."""
    windows: set[int] = set()
    for body in bodies:
        windows.update(hash(body[i : i + width]) for i in range(len(body) - width + 1))
    return windows


def draw_requests(records: Sequence[Any], n: int, seed: int) -> list[SampleRequest]:
    """n requests whose title, key, meter and genre are those of tunes drawn (seeded, with
    replacement) from these records: metadata distributed like the corpus's."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(records), size=n)
    return [
        SampleRequest(
            title=records[i].title or "Untitled",
            key=records[i].key,
            meter=records[i].meter,
            genre=records[i].genre,
            seed=seed * 100003 + k,
        )
        for k, i in enumerate(picks)
    ]


def generate_samples(
    model_dir: Path,
    requests: Sequence[SampleRequest],
    constrained: bool = True,
    progress: Callable[[int, int], None] | None = None,
    sampling: dict[str, float] | None = None,
) -> list[tuple[SampleRequest, str]]:
    """(request, abc) for each request, written by core.generation's Generator; ``sampling``
    overrides the app's sampler settings (``temperature``, ``top_p``, ``top_k``)."""
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.request import GenerationRequest

    generator = Generator.load(model_dir)
    samples = []
    for index, request in enumerate(requests):
        full = GenerationRequest(
            title=request.title,
            key=request.key,
            meter=request.meter,
            genre=request.genre,
            seed=request.seed,
            bars=request.bars,
            constrained=constrained,
            **(sampling or {}),
        )
        abc, intended = None, None
        try:
            for step in generator.generate(full):
                if step.done:
                    abc, intended = step.abc, step.intended_bars
        except ValueError:
            abc = None  # an unusable request counts as an invalid sample
        samples.append((replace(request, bars=intended), abc or ""))
        if progress is not None:
            progress(index + 1, len(requests))
    return samples


def _same_key(written: str, requested: str) -> bool:
    """Same tonic pitch class and mode (enharmonic spellings match)."""
    from composeium_desktop.core.abcnotation import parse_key, tonic_pc

    try:
        a, b = parse_key(written), parse_key(requested)
    except ValueError:
        return False
    return tonic_pc(a.tonic) == tonic_pc(b.tonic) and a.mode == b.mode


def _renders(abc: str, renderer: Any) -> bool:
    from composeium_desktop.core.render import RenderError

    try:
        return bool(renderer.render(abc).pages)
    except RenderError:
        return False


def sample_metrics(
    samples: Sequence[tuple[Any, str]],
    tokenizer: Any,
    windows: set[int],
    render_check: Callable[[str], bool] | None = None,
) -> dict[str, float]:
    """valid_rate, bar_error_rate, header_match_rate, tonic_end_rate, copy_rate,
    distinct_4gram, median_bars (bars per valid tune) and length_match_rate (valid tunes with
    an intended length, ``request.bars``, that close exactly that many bars, counted as the
    model's length feature counts them) over (request, abc) pairs; requests need title, key,
    meter, genre and may have bars.

    A sample is valid when the notation core parses and lexes it and ``render_check`` (Verovio
    in an isolated process, by default) accepts it. Structure, copying and diversity are
    measured on the valid ones; copying on the body normalised and moved to tonic C exactly as
    the training corpus was.
    """
    from composeium_desktop.core.abcnotation import ABCError, lex, normalise_meter, parse_tune
    from composeium_desktop.core.corpus import records_from_abc_text
    from composeium_desktop.core.features.metric import body_bars

    owned = None
    if render_check is None:
        from composeium_desktop.core.render import Renderer

        owned = Renderer()
        render_check = lambda abc: _renders(abc, owned)  # noqa: E731
    header = copied = 0
    length_told = length_kept = 0
    per_tune: list[tuple[int, int, int]] = []  # (wrong bars or -1 if invalid, bars, on tonic)
    grams: list[tuple[int, ...]] = []
    try:
        for request, abc in samples:
            try:
                tune = parse_tune(abc)
                lex(tune.body)
            except (ABCError, ValueError):
                per_tune.append((-1, 0, 0))
                continue
            if not render_check(abc):
                per_tune.append((-1, 0, 0))
                continue
            header += (
                _same_key(tune.key, request.key)
                and tune.meter == normalise_meter(request.meter)
                and (tune.rhythm or "").strip().lower() == request.genre.lower()
            )
            try:
                e, b, t = structure(tune.body, tune.key, tune.meter, tune.unit)
            except ValueError:
                e, b, t = 0, 0, False
            per_tune.append((e, b, int(t)))
            normalised = records_from_abc_text(abc, "samples")
            if normalised:
                body = normalised[0].body
                if getattr(request, "bars", None) is not None:
                    length_told += 1
                    length_kept += body_bars(body, normalised[0].meter) == request.bars
                copied += any(
                    hash(body[i : i + COPY_WINDOW]) in windows
                    for i in range(len(body) - COPY_WINDOW + 1)
                )
                ids = tokenizer.encode(body)
                grams.extend(tuple(ids[i : i + 4]) for i in range(len(ids) - 3))
    finally:
        if owned is not None:
            owned.close()
    n = max(len(samples), 1)
    lengths = [b for e, b, _ in per_tune if e >= 0]  # bars of each valid tune
    valid = len(lengths)
    errors = sum(e for e, _, _ in per_tune if e >= 0)
    bars = sum(lengths)
    tonic = sum(t for _, _, t in per_tune)
    return {
        "samples": len(samples),
        "valid_rate": valid / n,
        "bar_error_rate": errors / max(bars, 1),
        "header_match_rate": header / max(valid, 1),
        "tonic_end_rate": tonic / max(valid, 1),
        "copy_rate": copied / max(valid, 1),
        "distinct_4gram": len(set(grams)) / max(len(grams), 1),
        "median_bars": float(np.median(lengths)) if lengths else None,
        "length_match_rate": length_kept / length_told if length_told else None,
        **bootstrap_intervals(per_tune),
    }


def bootstrap_intervals(
    per_tune: Sequence[tuple[int, int, int]], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals of valid_rate, bar_error_rate and tonic_end_rate from
    (wrong bars, bars, ends on tonic) per sample, wrong bars -1 for an invalid sample. Whole
    tunes are resampled, so the bars of one tune (whose errors come together) stay together."""
    if not per_tune:
        return {}
    table = np.asarray(per_tune, dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(table), size=(resamples, len(table)))
    valid = (table[:, 0] >= 0)[picks]
    errors = np.where(valid, table[:, 0][picks], 0).sum(axis=1)
    bars = table[:, 1][picks].sum(axis=1)
    tonic = table[:, 2][picks].sum(axis=1)
    n_valid = valid.sum(axis=1)

    def interval(values: np.ndarray) -> list[float]:
        return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]

    return {
        "valid_rate_ci95": interval(valid.mean(axis=1)),
        "bar_error_rate_ci95": interval(errors / np.maximum(bars, 1)),
        "tonic_end_rate_ci95": interval(tonic / np.maximum(n_valid, 1)),
    }


# Targets.


def targets(figures: dict[str, Any], prefix: str = "") -> list[tuple[str, bool | None, str]]:
    """(target, met or None when not measured, detail) for the model card and the table;
    ``prefix`` selects a second sample set (e.g. "unconstrained_")."""
    out: list[tuple[str, bool | None, str]] = []
    figures = {
        **figures,
        **{k[len(prefix) :]: v for k, v in figures.items() if prefix and k.startswith(prefix)},
    }

    def add(name: str, value: Any, limit: Any, ok: Callable[[Any, Any], bool], text: str) -> None:
        if value is None or limit is None:
            out.append((name, None, "not measured"))
            return
        detail = text.format(value=value, limit=limit)
        interval = figures.get(name.split()[0] + "_ci95")
        if interval:
            spec = "{" + text[len("{value") : text.index("}")] + "}"  # the value's own format
            detail += f" (95% interval {spec.format(interval[0])}-{spec.format(interval[1])})"
        out.append((name, bool(ok(value, limit)), detail))

    val, ngram = figures.get("val_bpc"), figures.get("ngram_val_bpc")
    add("val_bpc <= 0.65 x ngram_val_bpc", val, None if ngram is None else 0.65 * ngram,
        lambda v, lim: v <= lim, "{value:.3f} vs {limit:.3f}")  # fmt: skip
    add("valid_rate >= 99%", figures.get("valid_rate"), 0.99, lambda v, lim: v >= lim,
        "{value:.1%}")  # fmt: skip
    add("bar_error_rate <= corpus", figures.get("bar_error_rate"),
        figures.get("corpus_bar_error_rate"), lambda v, lim: v <= lim,
        "{value:.2%} vs corpus {limit:.2%}")  # fmt: skip
    add("tonic_end_rate >= corpus", figures.get("tonic_end_rate"),
        figures.get("corpus_tonic_end_rate"), lambda v, lim: v >= lim,
        "{value:.1%} vs corpus {limit:.1%}")  # fmt: skip
    add("copy_rate <= 5%", figures.get("copy_rate"), 0.05, lambda v, lim: v <= lim,
        "{value:.1%}")  # fmt: skip
    return out


def format_table(figures: dict[str, Any]) -> str:
    """The human-readable report."""
    rows = [("figure", "value")]
    for name, value in figures.items():
        if isinstance(value, float):
            rows.append((name, f"{value:.4f}"))
        elif isinstance(value, list) and len(value) == 2:
            rows.append((name, f"{value[0]:.4f} - {value[1]:.4f}"))
        elif isinstance(value, (int, str)):
            rows.append((name, str(value)))
    width = max(len(r[0]) for r in rows)
    lines = [f"{a:<{width}}  {b}" for a, b in rows]
    lines.insert(1, "-" * (width + 12))
    blocks = [("", "targets")]
    if any(k.startswith("unconstrained_") for k in figures):
        blocks.append(("unconstrained_", "targets, unconstrained samples (the model alone)"))
    for prefix, title in blocks:
        checks = targets(figures, prefix)
        if any(met is not None for _, met, _ in checks):
            lines += ["", f"{title}:"]
            for name, met, detail in checks:
                mark = "n/a" if met is None else ("met" if met else "NOT met")
                lines.append(f"  {name:<34} {mark:<8} {detail}")
    return "\n".join(lines)


# The whole evaluation.


def run_evaluation(
    model_dir: Path,
    samples: int = 200,
    abc_files: Sequence[Path] = (),
    seed: int = 0,
    constrained: bool = True,
    also_unconstrained: bool = False,
    records: Sequence[Any] | None = None,
    render_check: Callable[[str], bool] | None = None,
    log: Callable[[str], None] = lambda message: None,
    sampling: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Every figure of `composeium evaluate`, in report order; ``sampling`` overrides the
    app's sampler settings for the generated tunes (reported as ``temperature``, ``top_p``).

    ``records`` replaces the corpus (tests); it must carry train and validation/test splits."""
    import time

    from composeium_desktop.core.evaluation.ngram import CharNGram
    from composeium_desktop.core.model import load_model
    from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab

    started = time.monotonic()
    model = load_model(model_dir)
    tokenizer, meta_vocab = ABCTokenizer.load(model_dir), MetadataVocab.load(model_dir)
    if records is None:
        from composeium_desktop.core.corpus import load_corpus

        records = load_corpus()
    by_split: dict[str, list[Any]] = {"train": [], "validation": [], "test": []}
    for record in records:
        by_split[record.split].append(record)
    figures: dict[str, Any] = {"model": str(model_dir)}

    log("scoring the validation and test splits with the model")
    for split, name in (("validation", "val"), ("test", "test")):
        bits, chars = model_bits(model, tokenizer, meta_vocab, by_split[split])
        figures[f"{name}_bpc"] = bits / chars if chars else None
    log("training the character 5-gram baseline")
    ngram = CharNGram.train(r.body for r in by_split["train"])
    for split, name in (("validation", "val"), ("test", "test")):
        bits, chars = ngram_bits(ngram, (r.body for r in by_split[split]))
        figures[f"ngram_{name}_bpc"] = bits / chars if chars else None

    if abc_files:
        log(f"scoring {len(abc_files)} ABC file(s)")
        user, rejected = abc_file_records(abc_files)
        bits, chars = model_bits(model, tokenizer, meta_vocab, user)
        ngram_b, _ = ngram_bits(ngram, (r.body for r in user))
        figures["abc_tunes"] = len(user)
        figures["abc_rejected"] = rejected
        figures["abc_bpc"] = bits / chars if chars else None
        figures["abc_ngram_bpc"] = ngram_b / chars if chars else None

    if samples > 0:
        from composeium_desktop.core.generation.request import GenerationRequest, list_choices

        choices = list_choices()
        reference = by_split["test"] or by_split["validation"] or by_split["train"]
        offered = [
            r for r in reference if r.meter in choices["meters"] and r.mode in choices["modes"]
        ] or reference
        requests = draw_requests(offered, samples, seed)
        log(f"generating {samples} tunes ({'constrained' if constrained else 'unconstrained'})")

        def progress(done: int, total: int) -> None:
            if done % 20 == 0 or done == total:
                log(f"  {done}/{total} tunes")

        pairs = generate_samples(model_dir, requests, constrained, progress, sampling)
        windows = training_windows(r.body for r in by_split["train"])
        figures["constrained"] = "yes" if constrained else "no"
        defaults = GenerationRequest()
        figures["temperature"] = (sampling or {}).get("temperature", defaults.temperature)
        figures["top_p"] = (sampling or {}).get("top_p", defaults.top_p)
        figures.update(sample_metrics(pairs, tokenizer, windows, render_check))
        if also_unconstrained and constrained:
            log(f"generating {samples} tunes (unconstrained)")
            pairs = generate_samples(model_dir, requests, False, progress, sampling)
            metrics = sample_metrics(pairs, tokenizer, windows, render_check)
            figures.update({f"unconstrained_{k}": v for k, v in metrics.items()})
        corpus = corpus_reference(offered)  # the tunes whose metadata the samples take
        figures["corpus_bar_error_rate"] = corpus["bar_error_rate"]
        figures["corpus_tonic_end_rate"] = corpus["tonic_end_rate"]
        figures["corpus_median_bars"] = corpus["median_bars"]
    figures["seconds"] = round(time.monotonic() - started, 1)
    return figures
