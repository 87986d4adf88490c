"""The figures of generated samples: structure (bars of the wrong length, tonic endings),
novelty (copies of training text), rendering, and 95% bootstrap intervals (resampling whole tunes),
so a figure 1 point from its target on 200 samples is read as the noise it may be;
``corpus_reference`` gives the corpus's own rates for comparison.

``sample_metrics`` takes (request, abc) pairs, so it can be tested with hand-written tunes;
``generate_samples`` produces them with core.generation (imported lazily) from metadata drawn
like the corpus's."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

COPY_WINDOW = 32
BOOTSTRAP_RESAMPLES = 2000
# The genres whose tunes the dance-tune books write as repeated 8/16-bar parts (AABB), and
# the books whose tunes are the reference for their form.
DANCE_GENRES = ("reel", "jig", "hornpipe", "polka")
FORM_REFERENCE_COLLECTIONS = ("oneills1850", "ryansMammoth")


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


# Structure of a tune.


def structure(body: str, key: str, meter: str, unit: str) -> tuple[int, int, bool]:
    """(wrong-length bars, bars, ends on the tonic) of a body."""
    from composeium_desktop.core.abcnotation import bar_errors, bar_lengths, ends_on_tonic

    bars = len(bar_lengths(body, meter, unit))
    errors = len(bar_errors(body, meter, unit))
    return errors, bars, ends_on_tonic(body, key)


def corpus_reference(records: Sequence[Any]) -> dict[str, float | None]:
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
    sampling: dict[str, Any] | None = None,
) -> list[tuple[SampleRequest, str]]:
    """(request, abc) for each request, written by core.generation's Generator; ``sampling``
    overrides the app's sampler settings (``temperature``, ``top_p``, ``top_k``). Each request
    without a length gets its genre's form, as the app gives it (``form_plan.default_form``)."""
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.form_plan import default_form
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
            form=default_form(request.genre) if request.bars is None else None,
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


@dataclass
class _Tally:
    """The running counts of ``sample_metrics`` over the samples seen so far."""

    tokenizer: Any
    windows: set[int]
    header: int = 0
    copied: int = 0
    length_told: int = 0
    length_kept: int = 0
    # (wrong bars or -1 if invalid, bars, on tonic) of each sample
    per_tune: list[tuple[int, int, int]] = field(default_factory=list)
    grams: list[tuple[int, ...]] = field(default_factory=list)
    forms: list[tuple[str, Any]] = field(default_factory=list)  # (genre, FormFigures)
    # The corpus's rules of a well-formed tune (a ``corpus.wellformed.WellFormedTable``; None
    # leaves the well-formedness figures out) and each valid tune's ``Violations``.
    wellformed: Any = None
    violations: list[Any] = field(default_factory=list)

    def add(self, request: Any, abc: str, render_check: Callable[[str], bool]) -> None:
        from composeium_desktop.core.abcnotation import ABCError, lex, normalise_meter, parse_tune

        try:
            tune = parse_tune(abc)
            lex(tune.body)
        except (ABCError, ValueError):
            self.per_tune.append((-1, 0, 0))
            return
        if not render_check(abc):
            self.per_tune.append((-1, 0, 0))
            return
        self.header += (
            _same_key(tune.key, request.key)
            and tune.meter == normalise_meter(request.meter)
            and (tune.rhythm or "").strip().lower() == request.genre.lower()
        )
        try:
            e, b, t = structure(tune.body, tune.key, tune.meter, tune.unit)
        except ValueError:
            e, b, t = 0, 0, False
        self.per_tune.append((e, b, int(t)))
        self._add_form(request.genre, tune)
        self._add_wellformed(request.genre, tune)
        self._add_normalised(request, abc)

    def _add_form(self, genre: str, tune: Any) -> None:
        from composeium_desktop.core.abcnotation import ABCError
        from composeium_desktop.core.abcnotation.form import tune_form

        try:
            self.forms.append((genre, tune_form(tune.body, tune.meter, tune.unit, tune.key)))
        except (ABCError, ValueError):
            return

    def _add_wellformed(self, genre: str, tune: Any) -> None:
        from composeium_desktop.core.evaluation.wellformed_figures import tune_violations

        if self.wellformed is None:
            return
        found = tune_violations(tune.body, tune.meter, tune.unit, tune.key, genre, self.wellformed)
        if found is not None:
            self.violations.append(found)

    def _add_normalised(self, request: Any, abc: str) -> None:
        """Length kept, copying and 4-grams, on the body normalised as the corpus was."""
        from composeium_desktop.core.corpus import records_from_abc_text
        from composeium_desktop.core.features.metric import body_bars

        normalised = records_from_abc_text(abc, "samples")
        if not normalised:
            return
        body = normalised[0].body
        if getattr(request, "bars", None) is not None:
            self.length_told += 1
            self.length_kept += body_bars(body, normalised[0].meter) == request.bars
        self.copied += any(
            hash(body[i : i + COPY_WINDOW]) in self.windows
            for i in range(len(body) - COPY_WINDOW + 1)
        )
        ids = self.tokenizer.encode(body)
        self.grams.extend(tuple(ids[i : i + 4]) for i in range(len(ids) - 3))

    def figures(self) -> dict[str, Any]:
        from composeium_desktop.core.evaluation.wellformed_figures import wellformed_rates

        per_tune = self.per_tune
        n = max(len(per_tune), 1)
        lengths = [b for e, b, _ in per_tune if e >= 0]  # bars of each valid tune
        valid = len(lengths)
        errors = sum(e for e, _, _ in per_tune if e >= 0)
        tonic = sum(t for _, _, t in per_tune)
        return {
            "samples": len(per_tune),
            "valid_rate": valid / n,
            "bar_error_rate": errors / max(sum(lengths), 1),
            "header_match_rate": self.header / max(valid, 1),
            "tonic_end_rate": tonic / max(valid, 1),
            "copy_rate": self.copied / max(valid, 1),
            "distinct_4gram": len(set(self.grams)) / max(len(self.grams), 1),
            "median_bars": float(np.median(lengths)) if lengths else None,
            "length_match_rate": (
                self.length_kept / self.length_told if self.length_told else None
            ),
            **bootstrap_intervals(per_tune),
            **form_rates(self.forms),
            **wellformed_rates(self.violations),
        }


def sample_metrics(
    samples: Sequence[tuple[Any, str]],
    tokenizer: Any,
    windows: set[int],
    render_check: Callable[[str], bool] | None = None,
    wellformed: Any = None,
) -> dict[str, Any]:
    """valid_rate, bar_error_rate, header_match_rate, tonic_end_rate, copy_rate,
    distinct_4gram, median_bars (bars per valid tune) and length_match_rate (valid tunes with
    an intended length, ``request.bars``, that close exactly that many bars, counted as the
    model's length feature counts them) over (request, abc) pairs; requests need title, key,
    meter, genre and may have bars. With ``wellformed`` (the corpus's ``WellFormedTable``),
    the well-formedness figures ``wf_*`` (``evaluation.wellformed_figures``) too.

    A sample is valid when the notation core parses and lexes it and ``render_check`` (Verovio
    in an isolated process, by default) accepts it. Structure, copying and diversity are
    measured on the valid ones; copying on the body normalised and moved to tonic C exactly as
    the training corpus was.
    """
    owned = None
    if render_check is None:
        from composeium_desktop.core.render import Renderer

        owned = Renderer()
        render_check = lambda abc: _renders(abc, owned)  # noqa: E731
    tally = _Tally(tokenizer, windows, wellformed=wellformed)
    try:
        for request, abc in samples:
            tally.add(request, abc, render_check)
    finally:
        if owned is not None:
            owned.close()
    return tally.figures()


def form_rates(forms: Sequence[tuple[str, Any]], prefix: str = "form_") -> dict[str, Any]:
    """The form figures of (genre, FormFigures) pairs: AABB-shaped rate of the dance tunes
    (``DANCE_GENRES``); the form match rate (the tunes of a genre with a default form,
    ``form_plan.default_form``, written in it: its parts and bars per part); over the tunes of
    two or more parts the share whose B part is no copy of the A part (and the share that
    is, ``part_copy_rate``) and the share whose B part sits above it; the mean phrase
    repetition (bars 1-2 against 5-6), of all the tunes and of the dance tunes alone
    (``dance_phrase_repetition``). Rates and means carry 95% bootstrap intervals."""
    from composeium_desktop.core.generation.form_plan import default_form

    dance = [f.aabb_shaped for genre, f in forms if genre.lower() in DANCE_GENRES]
    matched = []
    for genre, f in forms:
        plan = default_form(genre.lower())
        if plan is not None:
            bars = (plan.part_bars,) * len(plan.written_parts)
            matched.append(f.shape == plan.parts and f.part_bars == bars)
    several = [f for _, f in forms if f.b_distinct is not None]
    distinct = [bool(f.b_distinct) for f in several]
    above = [bool(f.b_above_a) for f in several if f.b_above_a is not None]
    phrases = [f.phrase_repetition for _, f in forms if f.phrase_repetition is not None]
    # The reference books' figure is their dance tunes': the same genres' alone beside it.
    dance_phrases = [
        f.phrase_repetition
        for genre, f in forms
        if f.phrase_repetition is not None and genre.lower() in DANCE_GENRES
    ]
    figures: dict[str, Any] = {}
    for name, values in (
        ("aabb_rate", dance),
        ("match_rate", matched),
        ("b_distinct_rate", distinct),
        ("part_copy_rate", [not d for d in distinct]),
        ("b_above_a_rate", above),
    ):
        figures[prefix + name] = sum(values) / len(values) if values else None
        if values:
            figures[prefix + name + "_ci95"] = rate_interval(values)
    for name, values in (
        ("phrase_repetition", phrases),
        ("dance_phrase_repetition", dance_phrases),
    ):
        figures[prefix + name] = sum(values) / len(values) if values else None
        if values:
            figures[prefix + name + "_ci95"] = rate_interval(values)
    return figures


def rate_interval(
    values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> list[float]:
    """The 95% percentile-bootstrap interval of the mean of ``values`` (of booleans: the share
    of True)."""
    table = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = table[rng.integers(0, len(table), size=(resamples, len(table)))].mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def dance_form_reference(records: Sequence[Any]) -> dict[str, Any]:
    """The form figures of the reference books' own dance tunes (O'Neill's and Ryan's reels,
    jigs, hornpipes and polkas; bodies in C, unit 1/8)."""
    from composeium_desktop.core.abcnotation import TRAIN_UNIT, ABCError, key_name
    from composeium_desktop.core.abcnotation.form import tune_form

    forms: list[tuple[str, Any]] = []
    for record in records:
        if record.collection not in FORM_REFERENCE_COLLECTIONS:
            continue
        if record.genre not in DANCE_GENRES:
            continue
        key = key_name("C", record.mode)
        try:
            forms.append((record.genre, tune_form(record.body, record.meter, TRAIN_UNIT, key)))
        except (ABCError, ValueError):
            continue
    return form_rates(forms, prefix="corpus_form_")


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
