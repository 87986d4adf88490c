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

This module holds the model and its vocabulary (``Generator``); one tune's loop is
``tune_run.TuneRun``, the text it has written ``written_body.WrittenBody``.

Nothing here imports TensorFlow; only the "xla" backend (or asking ``generator.model`` for the
Keras model) does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from composeium_desktop.core.corpus.lengths import LengthTable
from composeium_desktop.core.corpus.wellformed import WellFormedTable
from composeium_desktop.core.features.metric import MetricTracker
from composeium_desktop.core.generation.body_checks import last_note
from composeium_desktop.core.generation.piece_table import PieceTable
from composeium_desktop.core.generation.request import (
    GenerationRequest,
    KeyChoice,
    validate_request,
)
from composeium_desktop.core.generation.tune_run import GenerationStep, TuneRun
from composeium_desktop.core.model.step_backends import (
    BACKENDS,
    CompiledStep,
    NumpyStep,
    backend_for,
    numpy_decoder_for,
)

SMALL_CACHE = 320
# A NumPy copy of the model's weights in the user's data folder (core.model.weights_cache).
WEIGHTS_CACHE = "weights"


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
        # The corpus's measure of a well-formed tune (``corpus.wellformed``), set by ``load``.
        self.wellformed: WellFormedTable | None = None
        self.max_len = int(model.config.max_body_len)
        self.max_meta_len = int(model.config.max_meta_len)
        # Attention over a fixed-length cache costs in proportion to its length, so tunes
        # start in a short cache and move to the full one only if they grow past it.
        self.cache_sizes = sorted({min(SMALL_CACHE, self.max_len), self.max_len})
        self._handles: dict[int, CompiledStep] = {}
        self.eos_id = int(tokenizer.eos_id)
        self.bos_id = int(tokenizer.bos_id)
        self.pieces: list[str] = list(tokenizer.pieces)
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
            [last_note(piece) in ("C", "c") for piece in self.pieces], dtype=bool
        )
        # ... or on the tonic or the dominant (G): a part's cadence.
        self._ends_on_cadence = np.array(
            [last_note(piece) in ("C", "c", "G", "g") for piece in self.pieces], dtype=bool
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
        from composeium_desktop.core.model.weights_cache import reader
        from composeium_desktop.core.tokenizer import ABCTokenizer, MetadataVocab
        from composeium_desktop.paths import model_dir as default_model_dir
        from composeium_desktop.paths import user_data_dir

        folder = Path(model_dir) if model_dir is not None else default_model_dir()
        backend = backend_for(folder, backend)
        generator = cls(
            ModelFile(folder, read=reader(user_data_dir() / WEIGHTS_CACHE)),
            ABCTokenizer.load(folder),
            MetadataVocab.load(folder),
            backend=backend,
            lengths=LengthTable.load_beside(folder),
        )
        generator.wellformed = WellFormedTable.load_beside(folder)
        if warm_up:
            generator.warm_up()
        return generator

    def with_backend(self, backend: str) -> Generator:
        """Another generator over the same model, tokenizers and lengths, stepping with
        ``backend`` (the benchmark and tests compare the two)."""
        other = Generator(
            self.model, self.tokenizer, self.meta_vocab, backend=backend, lengths=self.lengths
        )
        other.wellformed = self.wellformed
        return other

    def warm_up(self) -> None:
        """Compile the XLA step's start and step programs (both cache sizes) now, so the first
        token and the switch to the large cache are fast. The NumPy decoder has nothing to
        compile: a tune of its own now would only delay the first real one."""
        if self._numpy is not None:
            return
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
        return TuneRun(self, request, key, cancelled, exact_length).steps()

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
            base = secrets.randbits(31)
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
