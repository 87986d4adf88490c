"""Regenerate bars of a tune: new music for bars 9-16 (say), everything else kept as written.

The tune up to the range is the prime; the decoder writes exactly the range's bars, each closed
by the bar line the tune had there (a part's ``:|`` stays a part's end, a plain ``|`` stays
plain), and is told the whole tune's length. Only the notes between the bar lines are taken
from what it wrote: every bar line, line break and character outside the range's bars is kept
byte for byte. Several candidates (seeds seed, seed+1, ...) are written and ranked by how well
they lead into the bars that follow: the model's log-likelihood of the next bars as the tune
has them, given the prime and the new bars (at the tune's end, by the new bars' own
likelihood). A candidate is kept only if the notation core reads the new tune with the same
bars, the range's bars of the meter's length and no new errors.

``regenerate`` gives the best; ``regeneration_candidates`` all of them, best first (the GUI's
Variations of the current tune). ``variation_range`` says which bars a variation rewrites.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from composeium_desktop.core.abcnotation import (
    ABCError,
    bar_lengths,
    key_name,
    normalise_meter,
    parse_key,
    parse_tune,
    validate,
)
from composeium_desktop.core.abcnotation.bar_spans import TuneSpans, tune_spans
from composeium_desktop.core.abcnotation.bars import is_section_end_bar
from composeium_desktop.core.corpus.records import NORMALISED_TONIC
from composeium_desktop.core.features.metric import MAX_BARS, MIN_BARS
from composeium_desktop.core.generation.bar_splice import (
    chords_for_bars,
    has_chords,
    replace_bars,
)
from composeium_desktop.core.generation.form_plan import FormPlan
from composeium_desktop.core.generation.join_score import following_logprob
from composeium_desktop.core.generation.request import (
    GenerationRequest,
    KeyChoice,
    validate_request,
)
from composeium_desktop.core.generation.transposer import BarTransposer
from composeium_desktop.core.generation.tune_run import (
    CADENCE_BONUS,
    PLAN_ROLLBACKS,
    StepModel,
    TuneRun,
)

DEFAULT_CANDIDATES = 4
# How many bars after the range the join is judged on.
FOLLOWING_BARS = 2
# Seeds tried per candidate wanted before giving up (a candidate may fail its checks).
TRIES_PER_CANDIDATE = 3
_METERS = {"C": "4/4", "C|": "2/2"}
_GRACES_RE = re.compile(r"\{[^}]*\}")
_SLURS_RE = re.compile(r"\((?![2-9])|\)")


@dataclass(frozen=True)
class Regeneration:
    """One rewrite of bars ``first``-``last``: ``text`` is the whole new text; the original's
    ``[start, end)`` (the range's first note to its last bar's closing bar line) became
    ``replacement``. ``join`` is the log-likelihood of the following bars given the new ones
    (None at the tune's end), ``logprob`` the mean per token of the new bars."""

    text: str
    first: int
    last: int
    start: int
    end: int
    replacement: str
    seed: int
    join: float | None
    logprob: float

    @property
    def score(self) -> float:
        return self.join if self.join is not None else self.logprob


@dataclass(frozen=True)
class _RangePlan(FormPlan):
    """A form plan for the range only: each bar's closing as the tune has it, the tune's
    end (``total_bars``) at the range's last bar."""

    bar_closings: tuple[frozenset[str], ...] = ()
    reopen_after: frozenset[int] = frozenset()
    end_bar: int = 0
    cadence_bars: frozenset[int] = frozenset()

    @property
    def total_bars(self) -> int:
        return self.end_bar

    def closings(self) -> tuple[frozenset[str], ...]:
        return self.bar_closings

    def reopen(self) -> frozenset[int]:
        return self.reopen_after


class _RangeRun(TuneRun):
    """A tune run that writes the range after the prime: the range plan's closings, steered to
    an ending only where the range ends the tune, told the whole tune's length throughout."""

    def __init__(
        self,
        gen: StepModel,
        request: GenerationRequest,
        key: KeyChoice,
        cancelled: Callable[[], bool],
        plan: _RangePlan,
        ends_tune: bool,
    ) -> None:
        super().__init__(gen, request, key, cancelled)
        self.plan = plan
        self.max_rollbacks = PLAN_ROLLBACKS
        self.ends_tune = ends_tune

    def _time_to_end(self) -> bool:
        plan = self.plan
        if plan is None or not self.ends_tune:
            return False
        return self.text.state.form_bars >= plan.total_bars - 1

    def _count_pickup(self) -> None:
        return None  # the length the decoder is told is the tune's own, pickup included

    def _favour_echo(self, logits: Any) -> None:
        return None  # the range plan knows the tune's bar lines, not where its phrases begin

    def _in_cadence(self) -> bool:
        """In the second half of a bar that ends a part (as the tune has it) inside the range,
        the tune's last bar left to the ending's steering."""
        plan, state = self.plan, self.text.state
        if not isinstance(plan, _RangePlan) or CADENCE_BONUS == 0:
            return False
        bar = state.form_bars + 1
        if bar not in plan.cadence_bars or (self.ends_tune and bar == plan.end_bar):
            return False
        return 2 * state.pos >= state.bar_len


@dataclass(frozen=True)
class _Setting:
    """What every candidate of one regeneration shares."""

    text: str
    spans: TuneSpans
    first: int
    last: int
    request: GenerationRequest
    key: KeyChoice
    plan: _RangePlan
    ends_tune: bool
    chorded: bool  # the tune has chord symbols: the new bars get them too


def regenerate(
    generator: StepModel,
    text: str,
    first: int,
    last: int,
    *,
    seed: int | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    genre: str | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
) -> Regeneration:
    """The best of ``candidates`` rewrites of bars ``first``-``last`` of the first tune in
    ``text``. ValueError (one line) for a range or tune it cannot rewrite; RuntimeError when
    cancelled."""
    found = regeneration_candidates(
        generator,
        text,
        first,
        last,
        seed=seed,
        count=candidates,
        genre=genre,
        cancelled=cancelled,
        progress=progress,
    )
    if cancelled():
        raise RuntimeError("regeneration cancelled")
    return found[0]


def regeneration_candidates(
    generator: StepModel,
    text: str,
    first: int,
    last: int,
    *,
    seed: int | None = None,
    count: int = DEFAULT_CANDIDATES,
    genre: str | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Regeneration]:
    """Up to ``count`` rewrites, best first (see the module docstring); ``progress(done,
    count)`` after each. A cancel returns those written so far (possibly none)."""
    setting = _primed(generator, _setting(text, first, last, genre))
    base = secrets.randbits(31) if seed is None else seed
    found: list[Regeneration] = []
    for attempt in range(count * TRIES_PER_CANDIDATE):
        if len(found) >= count or cancelled():
            break
        try:
            result = _candidate(generator, setting, base + attempt, cancelled)
        except ValueError as exc:  # the tune before the range is not one the decoder reads
            raise ValueError(
                f"the tune before bar {first} cannot lead the model in: {exc}"
            ) from None
        if result is not None:
            found.append(result)
            if progress is not None:
                progress(len(found), count)
    if not found and not cancelled():
        raise ValueError(
            f"no rewrite of bars {first}-{last} passed the checks (meter, bar lines, validity)"
        )
    found.sort(key=lambda r: r.score, reverse=True)
    return found


def variation_range(text: str, selection: tuple[int, int] | None = None) -> tuple[int, int]:
    """The bars a variation of the tune rewrites: the selection's bars; else every part after
    the first (same A part, new B part); a tune of one part is set anew."""
    if selection is not None:
        return selection
    spans = tune_spans(text)
    if len(spans.parts) >= 2:
        return spans.parts[1][0], spans.parts[-1][1]
    if spans.bar_count < 1:
        raise ValueError("the tune has no bars to vary")
    return 1, spans.bar_count


def _setting(text: str, first: int, last: int, genre: str | None) -> _Setting:
    try:
        spans = tune_spans(text)
    except ABCError as exc:
        raise ValueError(f"the tune does not read: {exc}") from None
    bars = spans.numbered(first, last)
    if any(bar.in_ending for bar in bars):
        raise ValueError(f"bars {first}-{last} hold first/second endings: not rewritten yet")
    if spans.unit != "1/8":
        raise ValueError(f"the tune's unit is L:{spans.unit}: regenerating needs L:1/8")
    tune = parse_tune(text)
    meter = _METERS.get(spans.meter, spans.meter)
    spec = parse_key(tune.key)
    written = min(max(len(spans.bars), MIN_BARS), MAX_BARS)
    request = GenerationRequest(
        title=tune.title or "Untitled",
        key=key_name(spec.tonic, spec.mode),
        meter=normalise_meter(meter),
        genre=genre or _genre(tune, meter),
        max_tokens=512,
        prime=text[: bars[0].start],
        bars=written,
    )
    try:
        key = validate_request(request)
    except ValueError as exc:
        raise ValueError(f"cannot regenerate this tune: {exc}") from None
    ends_tune = last == spans.bar_count
    plan = _range_plan(spans, first, last)
    return _Setting(text, spans, first, last, request, key, plan, ends_tune, has_chords(tune))


def _primed(gen: StepModel, setting: _Setting) -> _Setting:
    """The setting with a prime the constrained decoder reads: the tune before the range, less
    any pickup written as a bar of its own before a later part (the decoder reads a pickup only
    at the start), and where that still does not read, less its grace notes and slurs. Only the
    model reads the prime: the tune's text is kept as written."""
    text, spans = setting.text, setting.spans
    upto = spans.numbered(setting.first, setting.first)[0].start
    kept, cursor = [], 0
    for bar in spans.bars[1:]:
        if bar.number == 0 and bar.end <= upto:
            kept.append(text[cursor : bar.start])
            cursor = bar.end
    kept.append(text[cursor:upto])
    prime = "".join(kept)
    head, body = prime[: spans.body_start], prime[spans.body_start :]
    plainer = head + _SLURS_RE.sub("", _GRACES_RE.sub("", body))
    problem = ""
    for candidate in (prime, plainer):
        request = replace(setting.request, prime=candidate)
        try:
            TuneRun(gen, request, setting.key, lambda: False)
        except ValueError as exc:
            problem = str(exc)
            continue
        return replace(setting, request=request)
    raise ValueError(f"the tune before bar {setting.first} cannot lead the model in: {problem}")


def _genre(tune: Any, meter: str) -> str:
    from composeium_desktop.core.corpus.genres import genre_of

    return genre_of(tune.rhythm, tune.title, "", meter, tune.number)


def _range_plan(spans: TuneSpans, first: int, last: int) -> _RangePlan:
    """Each bar's closing as written (0: the pickup's, or none: a range that opens a tune
    without a pickup does not write one); the part length where every part has the same dance
    length (the decoder's check that a new part does not copy an earlier one)."""
    pickup = spans.bars[0] if spans.bars and spans.bars[0].number == 0 else None
    closings: list[frozenset[str]] = [frozenset({pickup.closing}) if pickup else frozenset()]
    reopen = set()
    for index, bar in enumerate(spans.bars):
        if bar.number:
            closings.append(frozenset({bar.closing}))
        following = spans.bars[index + 1] if index + 1 < len(spans.bars) else None
        if following is not None and following.opens_repeat and bar.number:
            reopen.add(bar.number)
    if spans.bars and spans.bars[0].opens_repeat:
        reopen.add(0)
    lengths = {b - a + 1 for a, b in spans.parts}
    part_bars = lengths.pop() if len(lengths) == 1 and lengths <= {8, 16} else 10**6
    return _RangePlan(
        part_bars=part_bars,
        bar_closings=tuple(closings),
        reopen_after=frozenset(reopen),
        end_bar=last,
        cadence_bars=frozenset(
            bar.number
            for bar in spans.bars
            if first <= bar.number <= last and is_section_end_bar(bar.closing)
        ),
    )


def _candidate(
    gen: StepModel, setting: _Setting, seed: int, cancelled: Callable[[], bool]
) -> Regeneration | None:
    """One rewrite with ``seed``, or None where it fails a check (or is cancelled)."""
    request = replace(setting.request, seed=seed)
    run = _RangeRun(gen, request, setting.key, cancelled, setting.plan, setting.ends_tune)
    raw = ""
    for step in run.steps():
        if step.done:
            raw = step.normalised_body or ""
            break
        if run.text.state.form_bars >= setting.last:
            raw = run.text.raw[: run.text.state.bar_end_at]
            break
    if cancelled() or not raw:
        return None
    contents = _new_contents(setting, run, raw)
    if contents is None:
        return None
    text, start, end, replacement = _splice(setting, contents)
    if not _keeps_form(setting, text):
        return None
    logprobs = run.text.logprobs
    mean = sum(logprobs) / len(logprobs) if logprobs else 0.0
    join = _join(gen, setting, request, text)
    if setting.chorded:
        text, replacement = chords_for_bars(text, setting.first, setting.last, start, replacement)
    return Regeneration(
        text, setting.first, setting.last, start, end, replacement, seed, join, mean
    )


def _normalised_key(setting: _Setting) -> str:
    return key_name(NORMALISED_TONIC, setting.key.mode)


def _new_contents(setting: _Setting, run: TuneRun, raw: str) -> list[str] | None:
    """The notes of each new bar (between its bar lines, in the tune's key), or None."""
    key = setting.key
    try:
        in_key = BarTransposer(key.semitones, _normalised_key(setting), key.name)(raw)
        header = f"X:1\nM:{setting.request.meter}\nL:1/8\nK:{key.name}\n"
        written = tune_spans(header + in_key + "\n")
    except (ABCError, ValueError):
        return None
    whole = header + in_key + "\n"
    bars = [b for b in written.bars if setting.first <= b.number <= setting.last]
    if len(bars) != setting.last - setting.first + 1 or not bars[-1].closing:
        return None
    return [whole[b.start : b.close].strip() for b in bars]


def _splice(setting: _Setting, contents: list[str]) -> tuple[str, int, int, str]:
    """The text with the range's bar contents replaced; also the changed span and its text."""
    return replace_bars(setting.text, setting.spans, setting.first, setting.last, contents)


def _keeps_form(setting: _Setting, text: str) -> bool:
    """The new tune reads with the same bars and bar lines, each new bar of the meter's length
    or as long as the bar it replaces (a short bar that completes a pickup), and it has no more
    errors than before."""
    try:
        after = tune_spans(text)
        lengths_after = _range_lengths(text, after, setting.first, setting.last)
        lengths_before = _range_lengths(setting.text, setting.spans, setting.first, setting.last)
    except (ABCError, ValueError):
        return False
    shape = [(b.number, b.closing, b.opens_repeat) for b in setting.spans.bars]
    if [(b.number, b.closing, b.opens_repeat) for b in after.bars] != shape:
        return False
    for (new, _, new_error), (old, expected, old_error) in zip(
        lengths_after, lengths_before, strict=True
    ):
        # A full bar may replace the short one that completes a pickup, and a bar of the
        # wrong length is rewritten to the meter's length.
        if new_error or new not in (expected, None if old_error else old):
            return False
    return _errors(text) <= _errors(setting.text)


def _range_lengths(text: str, spans: TuneSpans, first: int, last: int) -> list[Any]:
    """The lengths (and what the meter expects) of bars first-last, as the notation core
    measures them."""
    tune = parse_tune(text)
    infos = bar_lengths(tune.body, tune.meter, tune.unit)
    if len(infos) != len(spans.bars):
        raise ValueError("bars read differently")
    return [
        (info.length, info.expected, info.is_error)
        for info, bar in zip(infos, spans.bars, strict=True)
        if first <= bar.number <= last
    ]


def _errors(text: str) -> int:
    return sum(error.severity == "error" for error in validate(text))


def _join(gen: StepModel, setting: _Setting, request: GenerationRequest, text: str) -> float | None:
    """Log-likelihood of the next FOLLOWING_BARS bars as the tune has them, given everything
    before them with the new bars; None at the tune's end or where it cannot be read."""
    spans = setting.spans
    if setting.last >= spans.bar_count:
        return None
    after = tune_spans(text)
    upto = after.numbered(setting.last, setting.last)[-1].end
    follow_bar = min(setting.last + FOLLOWING_BARS, spans.bar_count)
    follow_end = after.numbered(follow_bar, follow_bar)[-1].end
    return following_logprob(gen, request, setting.key, text, upto, follow_end)


def join_logprob(
    generator: StepModel, text: str, last: int, genre: str | None = None
) -> float | None:
    """The ranking's criterion for a tune as it stands: the log-likelihood of the bars after
    bar ``last`` (FOLLOWING_BARS of them) given everything before them; None at the end."""
    setting = _setting(text, last, last, genre)
    return _join(generator, setting, setting.request, text)
