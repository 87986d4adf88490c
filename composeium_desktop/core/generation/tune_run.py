"""One tune's decoding loop: feed the prime, then one model step per token, choose the token
(sampling, the constraints by rejection, the endings steered), and hand out a
``GenerationStep`` for each.

The text written so far, with its constraints' state, metric features, transposition and
resuming point, is a ``written_body.WrittenBody``; this module decides what to write next:
which tokens are valid now, when the tune may or must end, when to go back to the last
completed bar (a dead end), and the final step with the whole tune.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from composeium_desktop.core.abcnotation.keys import key_name
from composeium_desktop.core.corpus.lengths import LengthTable
from composeium_desktop.core.corpus.records import NORMALISED_TONIC
from composeium_desktop.core.features.metric import MetricTracker, body_bars
from composeium_desktop.core.generation.body_checks import ends_on_tonic, repeats_bar
from composeium_desktop.core.generation.constraints import BodyState
from composeium_desktop.core.generation.form_plan import FormPlan, copies_a_part
from composeium_desktop.core.generation.form_returns import finish_form
from composeium_desktop.core.generation.phrase_echo import (
    ECHO_BONUS,
    echo_remainder,
    echo_text,
    echoes,
)
from composeium_desktop.core.generation.piece_table import PieceTable
from composeium_desktop.core.generation.prime import normalised_prime, restore_prime_chords
from composeium_desktop.core.generation.request import GenerationRequest, KeyChoice, format_tune
from composeium_desktop.core.generation.sampling import (
    Sampler,
    exclude,
    log_prob,
    make_sampler,
    softmax,
)
from composeium_desktop.core.generation.transposer import BarTransposer
from composeium_desktop.core.generation.wellformed_rules import enforce, rules_for
from composeium_desktop.core.generation.written_body import (
    MIN_BARS,
    WrittenBody,
    new_body_state,
)

REJECTION_TRIES = 16
FULL_TRIES = 48
MAX_ROLLBACKS = 3
# A form plan leaves fewer ways out of a dead end (its bar count is fixed), so it may go back
# more often before the tune is closed where it stands.
PLAN_ROLLBACKS = 8
TONIC_BONUS = 5.0
# A part's last bar (under a form plan) is steered, less firmly, to a cadence: its notes after
# the middle of the bar favour the tonic or the dominant.
CADENCE_BONUS = 3.0
# No bar may be written this many times in a row: 99.3% of the corpus's tunes keep to it, while
# sampling at temperature 1 sometimes loops on one bar for the rest of the tune.
LOOP_BARS = 3


@dataclass(frozen=True)
class GenerationStep:
    """One token of progress. ``token`` is the model's piece (text in the normalised key);
    ``body`` is the whole body so far in the requested key (authoritative: it is not always
    ``previous body + token``: a bar is respelled when it completes, and the unfinished bar is
    refreshed at most every 15 ms, so it may lag the newest pieces); ``abc`` is the
    complete tune on the last step (``done``), with ``logprob`` (mean log-likelihood per token)
    and ``normalised_body`` (the model's own text, in C of the mode) and ``intended_bars`` (the
    length the decoder was told: the request's, or the one drawn for it; None if none)."""

    token: str
    body: str
    index: int
    done: bool
    abc: str | None = None
    logprob: float = 0.0
    normalised_body: str | None = None
    intended_bars: int | None = None


class StepModel(Protocol):
    """What a run needs from ``decoder.Generator``: the vocabulary's facts and the model's
    cached-decoding calls."""

    tokenizer: Any
    reads_length: bool
    lengths: LengthTable | None
    max_len: int
    eos_id: int
    bos_id: int
    pieces: list[str]
    table: PieceTable
    _banned: np.ndarray
    _bar_pieces: np.ndarray
    _ends_on_tonic: np.ndarray
    _ends_on_cadence: np.ndarray

    def start(self, meta_ids: list[int], positions: int = 1) -> Any: ...

    def grow(self, handle: Any) -> Any: ...

    def cache_size(self, handle: Any) -> int: ...

    def step(
        self, token: int, position: int, handle: Any, metric: tuple[int, ...] | None = None
    ) -> tuple[np.ndarray, Any]: ...

    def meta_ids(self, request: GenerationRequest, key: KeyChoice) -> list[int]: ...


class TuneRun:
    """One tune's decoding loop (state kept on the instance so helpers stay small)."""

    def __init__(
        self,
        gen: StepModel,
        request: GenerationRequest,
        key: KeyChoice,
        cancelled: Callable[[], bool],
        exact_length: bool = False,
    ) -> None:
        self.gen = gen
        self.exact_length = exact_length
        self.request = request
        self.key = key
        self.cancelled = cancelled
        self.rng = np.random.default_rng(request.seed)
        self.sampler: Sampler = make_sampler(request.temperature, request.top_k, request.top_p)
        self.constrained = request.constrained
        self.plan: FormPlan | None = request.form if request.constrained else None
        self.max_rollbacks = MAX_ROLLBACKS if self.plan is None else PLAN_ROLLBACKS
        self.echo = ECHO_BONUS != 0 and echoes(request.genre)
        normalised = key_name(NORMALISED_TONIC, key.mode)
        self.normalised_key = normalised
        transposer = BarTransposer(key.semitones, normalised, key.name)
        self.rollbacks = 0
        # The state the last valid token led to (the chosen one's, reused by ``accept``).
        self._checked: tuple[int, BodyState] | None = None
        self.prime_ids = self._prime_ids(transposer.from_key)
        self.intended_bars = self._intended_bars()
        # The decoder's metric-position input: the same features training computed.
        metric = MetricTracker.start(
            request.meter, total_bars=self.intended_bars, parts=self._intended_parts()
        )
        self.text = WrittenBody(
            gen.table, gen.pieces, request.meter, transposer, metric, self.constrained
        )

    def _intended_bars(self) -> int | None:
        """The length the decoder is told: the request's; else, for a decoder that reads it,
        one drawn from the corpus's lengths for this meter and genre (longer than the prime)."""
        if self.request.form is not None:
            return self.request.form.tune_bars
        if self.request.bars is not None:
            return self.request.bars
        gen = self.gen
        if not gen.reads_length or gen.lengths is None:
            return None
        drawn = gen.lengths.draw(self.request.meter, self.request.genre, self.rng)
        if drawn is None or not self.prime_ids:
            return drawn
        prime = "".join(gen.pieces[i] for i in self.prime_ids)
        return max(drawn, (body_bars(prime, self.request.meter) or 0) + 1)

    def _intended_parts(self) -> tuple[int, ...] | None:
        """The bars of each written part the form features count down (the request's form;
        None for a free form)."""
        form = self.request.form
        return None if form is None else (form.part_bars,) * len(form.written_parts)

    def _prime_ids(self, normalised_key: str) -> list[int]:
        prime = normalised_prime(self.request, self.key)
        if not prime:
            return []
        to_c = BarTransposer(-self.key.semitones, self.key.name, normalised_key)
        raw = to_c(prime)
        if self.constrained and not new_body_state(self.request.meter).feed(raw):
            raise ValueError(
                f"prime is not valid ABC for {self.request.meter} with unit L:1/8 "
                "(only full bars, closed chords/slurs/quotes)"
            )
        ids = list(self.gen.tokenizer.encode(raw))
        if len(ids) > self.gen.max_len - 34:
            raise ValueError("prime is too long for the model's maximum length")
        return ids

    def _feed_prime(self) -> tuple[Any, int, int]:
        """Encode the metadata and feed the prime; returns the cache, the last token fed and
        its position."""
        gen = self.gen
        cache = gen.start(gen.meta_ids(self.request, self.key), len(self.prime_ids) + 2)
        token, position = gen.bos_id, 0
        for pid in self.prime_ids:
            if position >= gen.cache_size(cache):
                cache = gen.grow(cache)
            _, cache = gen.step(token, position, cache, self.text.metric.features)
            self.text.accept(pid, position + 1)
            token, position = pid, position + 1
        # The corpus has no chord symbols (its quoted text is fingerings and annotations such as
        # "4" or "SEGUE"), so quoted text the model writes is noise: a prime may hold chord
        # symbols, the generated continuation does not.
        self.text.state.quotes_allowed = False
        if self.constrained:  # the prime is the user's; what follows is held to the corpus's
            rules = rules_for(
                getattr(gen, "wellformed", None), self.request.meter, self.request.genre
            )
            self.text.state = enforce(self.text.state, rules, self.key.mode)
        if self.plan is not None and self.text.state.form_bars >= self.plan.total_bars:
            self.plan = None  # a prime as long as the plan: go on in a free form
        if self.plan is not None:
            self.text.state.closings = self.plan.closings()
            self.text.state.reopen = self.plan.reopen()
            # Endings and written-out returns: every bar full (abc2abc reads them so).
            self.text.state.full_bars = self.plan.endings > 0 or bool(self.plan.returns)
        # Resuming point before any bar: a dead end in the first bar restarts the tune.
        self.text.mark_resume(token, position)
        return cache, token, position

    def steps(self) -> Iterator[GenerationStep]:
        gen = self.gen
        budget = min(self.request.max_tokens, gen.max_len - 2 - len(self.prime_ids))
        cache, token, position = self._feed_prime()
        finish_at = budget if self.exact_length else budget - max(8, min(48, budget // 4))
        index = 0
        while index < budget:
            if self.cancelled():
                return
            if position >= gen.cache_size(cache):
                cache = gen.grow(cache)
            logits, cache = gen.step(token, position, cache, self.text.metric.features)
            if self.constrained and (index >= finish_at or self._time_to_end()):
                self.text.state.finishing = True  # steer to an ending (the tonic favoured)
            choice = self._choose(logits)
            if choice is None:
                resume = self._rollback()
                if resume is None:
                    break
                token, position = resume
                continue
            if choice == gen.eos_id:
                break
            self.text.logprobs.append(log_prob(logits, choice))
            checked = self._checked
            self.text.accept(
                choice, position + 1, checked[1] if checked and checked[0] == choice else None
            )
            self._count_pickup()
            token, position = choice, position + 1
            index += 1
            state = self.text.state
            ended = state.lexeme == "|]" and not self.exact_length
            if self.constrained and (ended or (state.finishing and state.can_end())):
                break  # "|]" is the end of a tune in ABC
            yield GenerationStep(
                token=gen.pieces[choice], body=self.text.shown(), index=index, done=False
            )
        if self.cancelled():
            return
        yield self._final(index)

    def _choose(self, logits: np.ndarray) -> int | None:
        """A token id, EOS, or None at a dead end (nothing valid)."""
        gen = self.gen
        self._checked = None
        logits = np.where(gen._banned, -np.inf, logits)
        if self.exact_length:
            logits[gen.eos_id] = -np.inf
        if self.text.state.finishing:
            # Steer the forced ending home: favour notes on the tonic near the end.
            logits = np.where(gen._ends_on_tonic, logits + TONIC_BONUS, logits)
        elif self._in_cadence():
            logits = np.where(gen._ends_on_cadence, logits + CADENCE_BONUS, logits)
        else:
            self._favour_echo(logits)
        probs = self.sampler.distribution(logits)
        if not self.constrained:
            return self.sampler.choose(probs, self.rng)
        refused: list[int] = []
        for _ in range(REJECTION_TRIES):
            if probs.sum() <= 0:
                break
            choice = self.sampler.choose(probs, self.rng)
            if self._valid(choice):
                return choice
            refused.append(choice)
            probs = exclude(probs, choice)
        # Nothing valid in the nucleus: draw from the model's whole distribution restricted to
        # valid pieces, by rejection (the distribution the full scan below draws from, found in
        # a few tries where the scan costs ~75 ms).
        full = softmax(logits, max(self.request.temperature, 1e-6))
        full[refused] = 0.0
        for _ in range(FULL_TRIES):
            total = full.sum()
            if total <= 0:
                break
            choice = self.sampler.choose(full / total, self.rng)
            if self._valid(choice):
                return choice
            full[choice] = 0.0
        # Slow path: try every piece, draw from what is left of the model's distribution.
        mask = gen.table.valid_mask(self.text.state)
        mask[gen.eos_id] = self._eos_ok()
        # A bar line is judged as the fast path judges it (no looped bar, no copied part, "|]"
        # only at home and once the asked length is written).
        for token in np.flatnonzero(mask & gen._bar_pieces).tolist():
            mask[token] = self._valid(token)
        if not mask.any():
            return None
        full = softmax(np.where(mask, logits, -np.inf), max(self.request.temperature, 1e-6))
        return self.sampler.choose(full, self.rng)

    # When the tune may, or must, end.

    def _short_of_request(self, then: str = "") -> bool:
        """Fewer bars written than the user asked for, with ``then`` written after the text so
        far (a drawn length is only a hint)."""
        wanted = self.request.bars
        if wanted is None:
            return False
        done = self.text.metric.feed(then).bars_completed
        return done is not None and done < wanted

    def _time_to_end(self) -> bool:
        """Writing the last of the bars the user asked for, or past a drawn length (the model
        had its chance to end there and did not end at home): steer to an ending."""
        done = self.text.metric.bars_completed
        if done is None or self.exact_length:  # benchmarks write exactly max_tokens
            return False
        if self.plan is not None:
            return self.text.state.form_bars >= self.plan.total_bars - 1
        if self.request.bars is not None:
            return done >= self.request.bars - 1
        return self.intended_bars is not None and done >= self.intended_bars

    def _eos_ok(self) -> bool:
        state = self.text.state
        if self.exact_length:
            return False
        if not state.can_end():
            return False
        if state.finishing:
            return True
        if self._short_of_request():
            return False
        return state.bars_done >= MIN_BARS and ends_on_tonic(self.text.raw)

    def _valid(self, token: int) -> bool:
        if token == self.gen.eos_id:
            return self._eos_ok()
        state = self.gen.table.accepts(self.text.state, token)
        if state is None or self._loops(token):
            return False
        if self._copies_part(state, token):
            return False
        # A tune ends at home: "|]" closes it only after a tonic, unless the length limit is
        # forcing the ending (then the tonic is favoured by TONIC_BONUS instead).
        closing = state.lexeme == "|]" and not self.exact_length and not state.finishing
        if closing and (
            not ends_on_tonic(self.text.raw) or self._short_of_request(self.gen.pieces[token])
        ):
            return False
        self._checked = (token, state)
        return True

    def _loops(self, token: int) -> bool:
        """Would `token` complete the same bar for the LOOP_BARS-th time in a row?"""
        if not self.gen._bar_pieces[token]:
            return False
        raw = self.text.raw
        return repeats_bar(raw, raw + self.gen.pieces[token], LOOP_BARS)

    def _copies_part(self, state: BodyState, token: int) -> bool:
        """Would the bar this state has just closed end a part that copies an earlier one?
        (Only while a rollback can still rewrite the bar.)"""
        plan = self.plan
        if plan is None or self.rollbacks >= self.max_rollbacks:
            return False
        if state.bar_end_at <= self.text.state.bar_end_at:
            return False  # no bar closed by this token
        done = state.form_bars
        if not plan.ends_part(done) or done <= plan.part_ends()[0]:
            return False
        text = (self.text.raw + self.gen.pieces[token])[: state.bar_end_at]
        return copies_a_part(text, self.request.meter, self.normalised_key)

    def _in_cadence(self) -> bool:
        """In the second half of a part's last bar, before the tune's last part?"""
        plan, state = self.plan, self.text.state
        if plan is None or CADENCE_BONUS == 0:
            return False
        bar = state.form_bars + 1
        last_of_part = plan.ends_part(bar) and bar < plan.total_bars
        return last_of_part and 2 * state.pos >= state.bar_len

    def _favour_echo(self, logits: np.ndarray) -> None:
        """In a part's echo bars, favour (in place) the pieces that repeat its opening bars."""
        plan = self.plan
        if plan is None or not self.echo:
            return
        state = self.text.state
        texts = echo_text(plan, self.text.raw, self.text.bar_ends, state.form_bars)
        if texts is None:
            return
        rest = echo_remainder(*texts)
        if rest:
            logits[self.gen.table.prefixes_of(rest)] += ECHO_BONUS

    def _count_pickup(self) -> None:
        """A pickup is a written bar the plan does not count: the length feature is told the
        bars the tune will write, so it gets one more once the first bar turns out short."""
        plan, metric = self.plan, self.text.metric
        if plan is None or self.text.state.pickup is None:
            return
        if metric.total_bars != plan.tune_bars + 1:
            self.text.metric = MetricTracker.start(
                self.request.meter, total_bars=plan.tune_bars + 1, parts=metric.parts
            ).feed(self.text.raw)

    def _rollback(self) -> tuple[int, int] | None:
        """Back to the last completed bar; None when generation should end there instead."""
        snap = self.text.snapshot
        if snap is None or self.rollbacks >= self.max_rollbacks:
            return None
        self.rollbacks += 1
        self.text.restore(snap)
        return snap.token, snap.position

    def _final(self, index: int) -> GenerationStep:
        body = self.text.final()
        body = restore_prime_chords(self.request, self.key, body.rstrip() + "\n")
        # Repeats opened, parts that come back (AABA) written out again as copies: for the
        # request's own plan (not a rewritten range's, nor one a long prime set aside).
        plan = self.plan if self.plan is self.request.form else None
        body = finish_form(plan, body, self.request.meter, self.key.name)
        abc = format_tune(self.request, self.key.name, body)
        logprobs = self.text.logprobs
        mean = float(np.mean(logprobs)) if logprobs else 0.0
        return GenerationStep(
            token="",
            body=body,
            index=index,
            done=True,
            abc=abc,
            logprob=mean,
            normalised_body=finish_form(
                plan, self.text.raw, self.request.meter, self.normalised_key
            ),
            intended_bars=self.text.metric.total_bars,
        )
