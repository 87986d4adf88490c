"""The whole evaluation (`composeium evaluate`): likelihood figures (``evaluation.likelihood``),
sample figures (``evaluation.samples``), the targets they are held to and the table printed."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composeium_desktop.core.evaluation.likelihood import (
    abc_file_chord_symbols,
    abc_file_records,
    model_bits,
    ngram_bits,
)
from composeium_desktop.core.evaluation.samples import (
    corpus_reference,
    dance_form_reference,
    draw_requests,
    generate_samples,
    sample_metrics,
    training_windows,
)
from composeium_desktop.core.evaluation.wellformed_figures import corpus_wellformed

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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
    abc, abc_ngram = figures.get("abc_bpc"), figures.get("abc_ngram_bpc")
    if abc is not None:
        add("abc_bpc <= 0.8 x abc_ngram_bpc", abc, None if abc_ngram is None else 0.8 * abc_ngram,
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
    if figures.get("wf_violation_rate") is not None:
        add("wf_violation_rate <= corpus", figures.get("wf_violation_rate"),
            figures.get("corpus_wf_violation_rate"), lambda v, lim: v <= lim,
            "{value:.1%} vs corpus {limit:.1%}")  # fmt: skip
    if figures.get("form_aabb_rate") is not None:
        add("form_aabb_rate >= 90%", figures.get("form_aabb_rate"), 0.90,
            lambda v, lim: v >= lim, "{value:.1%}")  # fmt: skip
    if figures.get("form_b_distinct_rate") is not None:
        add("form_b_distinct_rate >= 95%", figures.get("form_b_distinct_rate"), 0.95,
            lambda v, lim: v >= lim, "{value:.1%}")  # fmt: skip
    above, corpus_above = (
        figures.get("form_b_above_a_rate"),
        figures.get("corpus_form_b_above_a_rate"),
    )
    if above is not None:
        add("form_b_above_a_rate within 10 points of corpus", above, corpus_above,
            lambda v, lim: abs(v - lim) <= 0.10, "{value:.1%} vs corpus {limit:.1%}")  # fmt: skip
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
    sampling: dict[str, Any] | None = None,
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
        figures.update(_abc_file_figures(model, tokenizer, meta_vocab, ngram, abc_files))
    if samples > 0:
        run = _SampleRun(model_dir, tokenizer, by_split, render_check, sampling, log)
        figures.update(run.figures(samples, seed, constrained, also_unconstrained))
    figures["seconds"] = round(time.monotonic() - started, 1)
    return figures


def _abc_file_figures(
    model: Any, tokenizer: Any, meta_vocab: Any, ngram: Any, abc_files: Sequence[Path]
) -> dict[str, Any]:
    """Bits per character of the user's own tune books, beside the 5-gram's."""
    user, rejected = abc_file_records(abc_files)
    bits, chars = model_bits(model, tokenizer, meta_vocab, user)
    ngram_b, _ = ngram_bits(ngram, (r.body for r in user))
    return {
        "abc_tunes": len(user),
        "abc_rejected": rejected,
        "abc_bpc": bits / chars if chars else None,
        "abc_ngram_bpc": ngram_b / chars if chars else None,
        "abc_chord_symbols": abc_file_chord_symbols(abc_files),
        "abc_chords": "set aside before scoring (model and 5-gram read the melody text)",
    }


@dataclass
class _SampleRun:
    """Generated-sample figures: requests drawn like the corpus's, each decoder's figures, and
    the corpus's own rates on the tunes the requests were drawn from."""

    model_dir: Path
    tokenizer: Any
    by_split: dict[str, list[Any]]
    render_check: Callable[[str], bool] | None
    sampling: dict[str, Any] | None
    log: Callable[[str], None]
    wellformed: Any = None

    def figures(
        self, samples: int, seed: int, constrained: bool, also_unconstrained: bool
    ) -> dict[str, Any]:
        from composeium_desktop.core.generation.request import GenerationRequest, list_choices

        choices = list_choices()
        split = self.by_split
        reference = split["test"] or split["validation"] or split["train"]
        offered = [
            r for r in reference if r.meter in choices["meters"] and r.mode in choices["modes"]
        ] or reference
        requests = draw_requests(offered, samples, seed)
        windows = training_windows(r.body for r in split["train"])
        self.wellformed = _wellformed_table(self.model_dir, split["train"])
        defaults = GenerationRequest()
        figures: dict[str, Any] = {
            "constrained": "yes" if constrained else "no",
            "temperature": (self.sampling or {}).get("temperature", defaults.temperature),
            "top_p": (self.sampling or {}).get("top_p", defaults.top_p),
        }
        figures.update(self._metrics(requests, constrained, windows))
        if also_unconstrained and constrained:
            metrics = self._metrics(requests, False, windows)
            figures.update({f"unconstrained_{k}": v for k, v in metrics.items()})
        corpus = corpus_reference(offered)  # the tunes whose metadata the samples take
        figures["corpus_bar_error_rate"] = corpus["bar_error_rate"]
        figures["corpus_tonic_end_rate"] = corpus["tonic_end_rate"]
        figures["corpus_median_bars"] = corpus["median_bars"]
        everything = [r for tunes in split.values() for r in tunes]
        figures.update(dance_form_reference(everything))
        figures.update(corpus_wellformed(offered, self.wellformed))
        return figures

    def _metrics(
        self, requests: Sequence[Any], constrained: bool, windows: set[int]
    ) -> dict[str, Any]:
        kind = "constrained" if constrained else "unconstrained"
        self.log(f"generating {len(requests)} tunes ({kind})")

        def progress(done: int, total: int) -> None:
            if done % 20 == 0 or done == total:
                self.log(f"  {done}/{total} tunes")

        pairs = generate_samples(self.model_dir, requests, constrained, progress, self.sampling)
        return sample_metrics(
            pairs, self.tokenizer, windows, self.render_check, wellformed=self.wellformed
        )


def _wellformed_table(model_dir: Path, train: Sequence[Any]) -> Any:
    """The corpus's rules of a well-formed tune: the model folder's, else the training
    split's."""
    from composeium_desktop.core.corpus.wellformed import WellFormedTable, wellformed_of_records

    return WellFormedTable.load_beside(model_dir) or wellformed_of_records(train)
