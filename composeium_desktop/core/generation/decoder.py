"""Metadata -> ABC tune, as an iterator of steps (one per token) that can be cancelled.

The model writes the body in the normalised key of the requested mode (tonic C, unit L:1/8, as
the corpus was normalised); every completed bar is transposed to the requested key by the
notation core as it is written, so each ``GenerationStep.body`` is already in the user's key.
One cached-decoding step per token, a NumPy sampler, and constrained decoding
(``constraints.BodyState``) by rejection sampling keep the loop well under a millisecond per
token. The step is, by default, the NumPy decoder (``model.numpy_decoder``: the model's own
weights read from the ``.keras`` file, no TensorFlow), whose parity with the Keras forward
pass is checked when a model is saved (``model.parity``); ``backend="xla"`` keeps the
XLA-compiled Keras step over a cache held in variables.
Each step also hands the model the metric features of the text so far
(``metric_features.MetricTracker``, fed every accepted piece and rolled back with the body), the
same features training computed for the corpus, counting down to the tune's intended length
(the request's ``bars``, or one drawn from the corpus's lengths in ``tune_lengths``). A length
the user asked for is kept in constrained decoding: the tune cannot end before it, and its last
bar is steered to an ending as at the token limit (plain notes, the tonic favoured, a final bar
line); past a drawn length (where the model, told it was done, could not end on the tonic) the
next bar is steered the same way, so tunes keep lengths like the corpus's.

Nothing here imports TensorFlow; only the "xla" backend (or asking ``generator.model`` for the
Keras model) does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.corpus.lengths import LengthTable
from composeium_desktop.core.corpus.records import NORMALISED_TONIC
from composeium_desktop.core.features.metric import MetricTracker, body_bars
from composeium_desktop.core.generation.constraints import BodyState
from composeium_desktop.core.generation.piece_table import (
    PieceTable,
    complete_bar_line,
    rest_completion,
)
from composeium_desktop.core.generation.request import (
    TRAIN_UNIT,
    GenerationRequest,
    KeyChoice,
    format_tune,
    validate_request,
)
from composeium_desktop.core.generation.sampling import (
    Sampler,
    exclude,
    log_softmax,
    make_sampler,
    softmax,
)
from composeium_desktop.core.model.step_backends import (
    BACKENDS,
    CompiledStep,
    NumpyStep,
    backend_for,
    numpy_decoder_for,
)

MIN_BARS = 4
REJECTION_TRIES = 16
MAX_ROLLBACKS = 3
SMALL_CACHE = 320
PARTIAL_REFRESH_S = 0.015
TONIC_BONUS = 5.0
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


# Incremental transposition.


@dataclass
class _Transposer:
    """Transposes the normalised body bar by bar (accidentals never outlive a bar, so bars
    transpose independently); each completed bar is transposed once."""

    semitones: int
    from_key: str
    to_key: str
    done_raw: int = 0
    done_out: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> str:
        if not text.strip():
            return text
        from composeium_desktop.core.abcnotation import transpose_body

        return transpose_body(text, self.semitones, self.from_key, self.to_key)

    def complete_to(self, raw: str, end: int) -> None:
        """raw[:end] is a whole number of bars: transpose the new ones."""
        if end > self.done_raw:
            self.done_out.append(self(raw[self.done_raw : end]))
            self.done_raw = end

    def mark(self) -> tuple[int, int]:
        return self.done_raw, len(self.done_out)

    def rollback(self, mark: tuple[int, int]) -> None:
        self.done_raw = mark[0]
        del self.done_out[mark[1] :]

    def body(self, raw: str, end: int) -> str:
        """Completed bars plus the current bar up to `end` (before any unfinished element)."""
        head = "".join(self.done_out)
        if end <= self.done_raw:
            return head
        return head + self(raw[self.done_raw : end])


# The generator.


class Generator:
    """A loaded model + tokenizers; writes tunes (one at a time per instance; not thread-safe).

    ``backend``: "numpy" (default: the NumPy encoder and step) or "xla" (the compiled Keras
    step, imports TensorFlow); ``self.backend`` is the one in use. ``model`` is a
    ``weights.ModelFile`` (``load``) or a Keras Seq2SeqTransformer.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        meta_vocab: Any,
        backend: str = "numpy",
        lengths: LengthTable | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
        self.model = model
        self.tokenizer = tokenizer
        self.meta_vocab = meta_vocab
        # Whether the decoder reads the bars to go, and the lengths a request without one is
        # given (drawn like the corpus's).
        self.reads_length = bool(model.config.metric_features and model.config.length_feature)
        self.lengths = lengths
        self.max_len = int(model.config.max_body_len)
        self.max_meta_len = int(model.config.max_meta_len)
        # Attention over a fixed-length cache costs in proportion to its length, so tunes
        # start in a short cache and move to the full one only if they grow past it.
        self.cache_sizes = sorted({min(SMALL_CACHE, self.max_len), self.max_len})
        self._handles: dict[int, CompiledStep] = {}
        self.eos_id = int(tokenizer.eos_id)
        self.bos_id = int(tokenizer.bos_id)
        self.pieces = list(tokenizer.pieces)
        special = set(tokenizer.special_ids) | set(getattr(tokenizer, "byte_ids", ()))
        self.table = PieceTable(self.pieces, sorted(special))
        # Tokens the model may never emit (pad, bos, unk, undecodable bytes); EOS is separate.
        banned = ~self.table.usable
        banned[self.eos_id] = False
        self._banned = banned
        # Pieces that can complete a bar (only they can make a bar repeat too often).
        self._bar_pieces = np.array([any(c in piece for c in "|:") for piece in self.pieces])
        # Pieces whose last note is the tonic (C, in the normalised key of every mode).
        self._ends_on_tonic = np.array(
            [_last_note(piece) in ("C", "c") for piece in self.pieces], dtype=bool
        )
        self.backend = backend
        self._numpy: Any = None
        if backend == "numpy":
            self._numpy = numpy_decoder_for(model)

    @classmethod
    def load(
        cls, model_dir: Path | str | None = None, warm_up: bool = True, backend: str = "numpy"
    ) -> Generator:
        """Load model and tokenizers from `model_dir` (default: the shipped model/);
        ``backend`` is "numpy" (default) or "xla" (see the class)."""
        from composeium_desktop.core.model.weights import ModelFile
        from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab
        from composeium_desktop.paths import model_dir as default_model_dir

        folder = Path(model_dir) if model_dir is not None else default_model_dir()
        backend = backend_for(folder, backend)
        generator = cls(
            ModelFile(folder),
            ABCTokenizer.load(folder),
            MetadataVocab.load(folder),
            backend=backend,
            lengths=LengthTable.load_beside(folder),
        )
        if warm_up:
            generator.warm_up()
        return generator

    def with_backend(self, backend: str) -> Generator:
        """Another generator over the same model, tokenizers and lengths, stepping with
        ``backend`` (the benchmark and tests compare the two)."""
        return Generator(
            self.model, self.tokenizer, self.meta_vocab, backend=backend, lengths=self.lengths
        )

    def warm_up(self) -> None:
        """Compile the start and step programs (both cache sizes) now, so the first token and
        the switch to the large cache are fast."""
        cache = self.start([0, 0, 0, 0])
        features = MetricTracker.start("4/4").features
        self.step(self.bos_id, 0, cache, features)
        if self.cache_sizes[-1] > self.cache_sizes[0]:
            self.step(self.bos_id, 0, self.grow(cache), features)

    # Model calls.

    def start(self, meta_ids: list[int], positions: int = 1) -> Any:
        """Encode the metadata into a cache for at least `positions` (the small one if it
        fits); returns the cache's step handle."""
        size = next((n for n in self.cache_sizes if n >= positions), self.cache_sizes[-1])
        if self._numpy is not None:
            return NumpyStep(self._numpy, self._numpy.start(meta_ids, size))
        meta = np.zeros((1, self.max_meta_len), dtype=np.int32)
        ids = meta_ids[: self.max_meta_len]
        meta[0, : len(ids)] = ids
        handle = self._handle(size)
        handle.load(self.model.start_decoding(meta, size))
        return handle

    def grow(self, handle: Any) -> Any:
        """The same cache in the model's full length (self-attention keys/values padded)."""
        if isinstance(handle, NumpyStep):
            return NumpyStep(handle.decoder, handle.state.grown(self.cache_sizes[-1]))
        big = self._handle(self.cache_sizes[-1])
        if big is not handle:
            big.load_grown(handle)
        return big

    @staticmethod
    def cache_size(handle: Any) -> int:
        return handle.size

    def step(
        self,
        token: int,
        position: int,
        handle: Any,
        metric: tuple[int, ...] | None = None,
    ) -> tuple[np.ndarray, Any]:
        """Logits for the token after `token` (fed at `position`, with the metric features of
        the text up to and including it): one NumPy step or one compiled call, by backend."""
        return handle.step(token, position, metric), handle

    def _handle(self, size: int) -> CompiledStep:
        handle = self._handles.get(size)
        if handle is None:
            handle = self._handles[size] = CompiledStep(self.model, size)
        return handle

    def meta_ids(self, request: GenerationRequest, key: KeyChoice) -> list[int]:
        return self.meta_vocab.encode(
            request.title, key.tonic, key.mode, request.meter, request.genre
        )

    # Generation.

    def generate(
        self,
        request: GenerationRequest,
        cancelled: Callable[[], bool] = lambda: False,
        *,
        exact_length: bool = False,
    ) -> Iterator[GenerationStep]:
        """Yields one step per token; the last has ``done`` and the complete ``abc``.

        Stops early (without a final step) when ``cancelled()`` turns true between tokens.
        Raises ValueError (one line) for an invalid request or prime, before the first step.
        ``exact_length`` (for benchmarks) disables the end token and the steered ending, so
        exactly ``max_tokens`` tokens are written (constraints still apply; the body is then
        closed at its last complete bar).
        """
        key = validate_request(request)
        return _Run(self, request, key, cancelled, exact_length).steps()

    def variations(
        self,
        request: GenerationRequest,
        n: int,
        rank: bool = True,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[tuple[str, float]]:
        """`n` tunes for one request (seeds seed, seed+1, ...), as (abc, mean log-likelihood
        per token); sorted best first when `rank`. A cancel (checked between any two tokens)
        returns the tunes finished so far."""
        base = request.seed
        if base is None:
            base = int(np.random.SeedSequence().entropy % (2**31))
        results = []
        for i in range(n):
            last = None
            for step in self.generate(replace(request, seed=base + i), cancelled):
                last = step
            if cancelled():
                break
            if last is None or last.abc is None:
                raise RuntimeError("generation ended without a tune")
            results.append((last.abc, last.logprob))
        if rank:
            results.sort(key=lambda item: item[1], reverse=True)
        return results


@dataclass
class _Snapshot:
    """Everything needed to resume from the end of a completed bar."""

    raw_len: int
    state: BodyState
    metric: MetricTracker
    token: int
    position: int
    transposed: tuple[int, int]
    n_logprobs: int


class _Run:
    """One tune's decoding loop (state kept on the instance so helpers stay small)."""

    def __init__(
        self,
        gen: Generator,
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
        normalised = _key_name(NORMALISED_TONIC, key.mode)
        self.transposer = _Transposer(key.semitones, normalised, key.name)
        self.state = BodyState(request.meter)
        self.state.min_bars = MIN_BARS
        self.raw = ""
        self.safe_len = 0
        self.logprobs: list[float] = []
        self.snapshot: _Snapshot | None = None
        self.rollbacks = 0
        self._partial = ""
        self._partial_head = -1
        self._partial_time = 0.0
        self.prime_ids = self._prime_ids()
        self.intended_bars = self._intended_bars()
        # The decoder's metric-position input: the same features training computed.
        self.metric = MetricTracker.start(request.meter, total_bars=self.intended_bars)

    def _intended_bars(self) -> int | None:
        """The length the decoder is told: the request's; else, for a decoder that reads it,
        one drawn from the corpus's lengths for this meter and genre (longer than the prime)."""
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

    def _prime_ids(self) -> list[int]:
        prime = _normalised_prime(self.request, self.key)
        if not prime:
            return []
        to_c = _Transposer(-self.key.semitones, self.key.name, self.transposer.from_key)
        raw = to_c(prime)
        if self.constrained and not self.state.clone().feed(raw):
            raise ValueError(
                f"prime is not valid ABC for {self.request.meter} with unit L:1/8 "
                "(only full bars, closed chords/slurs/quotes)"
            )
        ids = list(self.gen.tokenizer.encode(raw))
        if len(ids) > self.gen.max_len - 34:
            raise ValueError("prime is too long for the model's maximum length")
        return ids

    def steps(self) -> Iterator[GenerationStep]:
        gen = self.gen
        budget = min(self.request.max_tokens, gen.max_len - 2 - len(self.prime_ids))
        cache = gen.start(gen.meta_ids(self.request, self.key), len(self.prime_ids) + 2)
        cache_size = gen.cache_size(cache)
        token, position = gen.bos_id, 0
        for pid in self.prime_ids:
            if position >= cache_size:
                cache = gen.grow(cache)
                cache_size = gen.cache_size(cache)
            _, cache = gen.step(token, position, cache, self.metric.features)
            self._accept(pid, position + 1)
            token, position = pid, position + 1
        # The corpus has no chord symbols (its quoted text is fingerings and annotations such as
        # "4" or "SEGUE"), so quoted text the model writes is noise: a prime may hold chord
        # symbols, the generated continuation does not.
        self.state.quotes_allowed = False
        # Resuming point before any bar: a dead end in the first bar restarts the tune.
        self.snapshot = _Snapshot(
            len(self.raw),
            self.state.clone(),
            self.metric,
            token,
            position,
            self.transposer.mark(),
            0,
        )
        finish_at = budget if self.exact_length else budget - max(8, min(48, budget // 4))
        index = 0
        while index < budget:
            if self.cancelled():
                return
            if position >= cache_size:
                cache = gen.grow(cache)
                cache_size = gen.cache_size(cache)
            logits, cache = gen.step(token, position, cache, self.metric.features)
            if self.constrained and (index >= finish_at or self._time_to_end()):
                self.state.finishing = True  # steer to an ending (the tonic favoured)
            choice = self._choose(logits)
            if choice is None:
                resume = self._rollback()
                if resume is None:
                    break
                token, position = resume
                continue
            if choice == gen.eos_id:
                break
            self.logprobs.append(float(log_softmax(logits)[choice]))
            self._accept(choice, position + 1)
            token, position = choice, position + 1
            index += 1
            ended = self.state.lexeme == "|]" and not self.exact_length
            if self.constrained and (ended or (self.state.finishing and self.state.can_end())):
                break  # "|]" is the end of a tune in ABC
            yield GenerationStep(
                token=gen.pieces[choice], body=self._body(), index=index, done=False
            )
        if self.cancelled():
            return
        yield self._final(index)

    def _choose(self, logits: np.ndarray) -> int | None:
        """A token id, EOS, or None at a dead end (nothing valid)."""
        gen = self.gen
        logits = np.where(gen._banned, -np.inf, logits)
        if self.exact_length:
            logits[gen.eos_id] = -np.inf
        if self.state.finishing:
            # Steer the forced ending home: favour notes on the tonic near the end.
            logits = np.where(gen._ends_on_tonic, logits + TONIC_BONUS, logits)
        probs = self.sampler.distribution(logits)
        if not self.constrained:
            return self.sampler.choose(probs, self.rng)
        for _ in range(REJECTION_TRIES):
            if probs.sum() <= 0:
                break
            choice = self.sampler.choose(probs, self.rng)
            if self._valid(choice):
                return choice
            probs = exclude(probs, choice)
        # Slow path: try every piece, draw from what is left of the model's distribution.
        mask = gen.table.valid_mask(self.state)
        mask[gen.eos_id] = self._eos_ok()
        for token in np.flatnonzero(mask & gen._bar_pieces):
            mask[token] = not self._loops(token)
        if not mask.any():
            return None
        full = softmax(np.where(mask, logits, -np.inf), max(self.request.temperature, 1e-6))
        return self.sampler.choose(full, self.rng)

    def _short_of_request(self, then: str = "") -> bool:
        """Fewer bars written than the user asked for, with ``then`` written after the text so
        far (a drawn length is only a hint)."""
        wanted = self.request.bars
        if wanted is None:
            return False
        done = self.metric.feed(then).bars_completed
        return done is not None and done < wanted

    def _time_to_end(self) -> bool:
        """Writing the last of the bars the user asked for, or past a drawn length (the model
        had its chance to end there and did not end at home): steer to an ending."""
        done = self.metric.bars_completed
        if done is None or self.exact_length:  # benchmarks write exactly max_tokens
            return False
        if self.request.bars is not None:
            return done >= self.request.bars - 1
        return self.intended_bars is not None and done >= self.intended_bars

    def _eos_ok(self) -> bool:
        state = self.state
        if self.exact_length:
            return False
        if not state.can_end():
            return False
        if state.finishing:
            return True
        if self._short_of_request():
            return False
        return state.bars_done >= MIN_BARS and _ends_on_tonic(self.raw)

    def _valid(self, token: int) -> bool:
        if token == self.gen.eos_id:
            return self._eos_ok()
        state = self.gen.table.accepts(self.state, token)
        if state is None or self._loops(token):
            return False
        # A tune ends at home: "|]" closes it only after a tonic, unless the length limit is
        # forcing the ending (then the tonic is favoured by TONIC_BONUS instead).
        if state.lexeme == "|]" and not self.exact_length and not state.finishing:
            return _ends_on_tonic(self.raw) and not self._short_of_request(self.gen.pieces[token])
        return True

    def _loops(self, token: int) -> bool:
        """Would `token` complete the same bar for the LOOP_BARS-th time in a row?"""
        if not self.gen._bar_pieces[token]:
            return False
        return repeats_bar(self.raw, self.raw + self.gen.pieces[token], LOOP_BARS)

    def _accept(self, token: int, next_position: int) -> None:
        text = self.gen.pieces[token]
        self.raw += text
        self.metric = self.metric.feed(text)
        if not self.constrained:
            self.safe_len = len(self.raw)
            return
        state = self.gen.table.accepts(self.state, token)
        if state is None:
            raise ValueError("prime is not valid ABC (rejected by the constraints)")
        self.state = state
        if state.mode in ("top", "note", "bar"):
            self.safe_len = len(self.raw)
        bar_ended = state.bar_end_at > self.transposer.done_raw or state.mode == "bar"
        self.transposer.complete_to(self.raw, state.bar_end_at)
        if not bar_ended:
            return
        settled = state.settled()
        if settled is not None and settled.at_bar_start and settled.bars_done >= 1:
            self.snapshot = _Snapshot(
                len(self.raw),
                state.clone(),
                self.metric,
                token,
                next_position,
                self.transposer.mark(),
                len(self.logprobs),
            )

    def _rollback(self) -> tuple[int, int] | None:
        """Back to the last completed bar; None when generation should end there instead."""
        snap = self.snapshot
        if snap is None or self.rollbacks >= MAX_ROLLBACKS:
            return None
        self.rollbacks += 1
        self._restore(snap)
        return snap.token, snap.position

    def _restore(self, snap: _Snapshot) -> None:
        self.raw = self.raw[: snap.raw_len]
        self.safe_len = min(self.safe_len, snap.raw_len)
        self.state = snap.state.clone()
        self.metric = snap.metric
        self.transposer.rollback(snap.transposed)
        del self.logprobs[snap.n_logprobs :]

    def _close(self) -> None:
        """Makes the raw body end on a section-final bar line (length limit or dead end):
        fill a well-advanced bar with a rest, else go back to the last complete bar."""
        if self.state.can_end():
            return
        settled = self.state.settled()
        half_full = settled is not None and 2 * settled.pos >= settled.bar_len
        ending = rest_completion(self.state)
        no_bars = self.snapshot is None or self.snapshot.state.bars_done == 0
        if ending is not None and (half_full or no_bars):
            self.raw += ending
            self.state.feed(ending)
            return
        snap = self.snapshot
        if snap is not None:
            self._restore(snap)
        settled = self.state.settled()
        if settled is None or settled.bars_done == 0:
            # Not one complete bar (a tiny budget or an untrained model): a bar's rest.
            self.transposer.rollback((0, 0))
            self.raw = f"z{self.state.bar_len}|]"
            return
        full = "".join(self.transposer.done_out)
        full += self.transposer(self.raw[self.transposer.done_raw :])
        self.raw = complete_bar_line(self.raw)
        self.transposer.done_out = [complete_bar_line(full)]
        self.transposer.done_raw = len(self.raw)

    def _body(self) -> str:
        """Completed bars (always current) plus the bar being written, transposed at most
        every PARTIAL_REFRESH_S: the steps stream faster than a screen can show them, and
        transposing the unfinished bar for every token would cost more than the model step."""
        now = time.perf_counter()
        head_len = self.transposer.done_raw
        if head_len != self._partial_head or now - self._partial_time >= PARTIAL_REFRESH_S:
            try:
                self._partial = self.transposer.body(self.raw, self.safe_len)
            except ValueError:
                self._partial = "".join(self.transposer.done_out)
            self._partial_head = head_len
            self._partial_time = now
        return self._partial

    def _final(self, index: int) -> GenerationStep:
        if not self.constrained:
            body = self.transposer(self.raw)
        else:
            self._close()
            body = "".join(self.transposer.done_out)
            body += self.transposer(self.raw[self.transposer.done_raw :])
            # The model may end on "||" or ":||"; the tune ends on "|]" or ":|".
            body = complete_bar_line(body)
            self.raw = complete_bar_line(self.raw)
        body = _restore_prime_chords(self.request, self.key, body.rstrip() + "\n")
        abc = format_tune(self.request, self.key.name, body)
        mean = float(np.mean(self.logprobs)) if self.logprobs else 0.0
        return GenerationStep(
            token="",
            body=body,
            index=index,
            done=True,
            abc=abc,
            logprob=mean,
            normalised_body=self.raw,
            intended_bars=self.intended_bars,
        )


def _normalised_prime(request: GenerationRequest, key: KeyChoice) -> str:
    """The prime as the model's training text (comments, decorations, odd units normalised by
    the notation core). A whole tune (with headers) or a body in the requested key."""
    from composeium_desktop.core.abcnotation import ABCError, normalise_body, parse_tune
    from composeium_desktop.core.harmony.text import strip_chords

    text = _prime_tune_text(request, key)
    if not text.strip():
        return ""
    try:  # the model has never seen chord symbols: they are set aside (_prime_chords)
        return normalise_body(parse_tune(strip_chords(text)))
    except ABCError as exc:
        raise ValueError(f"prime: {exc}") from None


def _prime_tune_text(request: GenerationRequest, key: KeyChoice) -> str:
    """The prime as a whole tune (a bare body gets the request's headers); "" for none."""
    text = request.prime.strip("\n")
    if not text.strip():
        return ""
    if not re.search(r"^K:", text, re.MULTILINE):
        text = f"X:1\nM:{request.meter}\nL:{TRAIN_UNIT}\nK:{key.name}\n{text}"
    return text


def _restore_prime_chords(request: GenerationRequest, key: KeyChoice, body: str) -> str:
    """``body`` with the chord symbols the prime had put back before the notes at their
    onsets (the model read the prime without them)."""
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.harmony.text import chords_in_time, restore_chords_in_time

    text = _prime_tune_text(request, key)
    if '"' not in text:
        return body
    try:
        chords = chords_in_time(text)
        return restore_chords_in_time(body, key.name, request.meter, TRAIN_UNIT, chords)
    except ABCError:
        return body  # the prime was read already; a body that does not lex keeps no chords


# A bar line: | || |] [| :| |: :|: :: (chords "[CEG]" and endings "[1" are not bar lines).
_BAR_LINE_RUN = re.compile(r":*\[?\|[|\]]*:*|::")


def completed_bars(text: str) -> list[str]:
    """The bars of a body that a bar line has closed, without white space (endings and
    repeats split bars too; the text after the last bar line is not a completed bar)."""
    parts = _BAR_LINE_RUN.split(text)
    return [bar for bar in (re.sub(r"\s+", "", part) for part in parts[:-1]) if bar]


def repeats_bar(before: str, after: str, limit: int) -> bool:
    """Whether going from `before` to `after` closes a bar that makes `limit` identical bars
    in a row."""
    bars = completed_bars(after)
    if len(bars) < limit or len(bars) <= len(completed_bars(before)):
        return False
    return len(set(bars[-limit:])) == 1


_NOT_NOTES = re.compile(r'"[^"]*"|![^!]*!|\[[A-Za-z]:[^\]]*\]|\{[^}]*\}')
_NOTE = re.compile(r"(\^{1,2}|_{1,2}|=)?([A-Ga-g])")


def _ends_on_tonic(raw: str) -> bool:
    """Whether the last note of the text so far is the tonic C (the normalised key of every
    mode, where C is never altered by the key signature); grace notes do not count."""
    notes = _NOTE.findall(_NOT_NOTES.sub(" ", raw))
    if not notes:
        return False
    accidental, letter = notes[-1]
    return letter in "Cc" and accidental in ("", "=")


def _last_note(piece: str) -> str:
    """The letter of the last note in a piece ("" if none, or if it holds quoted text)."""
    if '"' in piece:
        return ""
    return next((c for c in reversed(piece) if c in "ABCDEFGabcdefg"), "")


def _key_name(tonic: str, mode: str) -> str:
    from composeium_desktop.core.abcnotation.keys import key_name

    return key_name(tonic, mode)
