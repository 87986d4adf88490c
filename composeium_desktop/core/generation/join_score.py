"""How well a tune's text leads into what follows it: the model's log-likelihood of the next
bars given the tune up to them (how ``regenerate`` ranks its rewrites).

The text before and the text after are read as a prime is (normalised, chord symbols set aside,
transposed to the model's key) and tokenized apart, so the split falls on the bar line between
them as it does when the decoder writes up to it; the model is fed with the same metric
features a run would give it, counted down from the same length.
"""

from __future__ import annotations

from dataclasses import replace

from composeium_desktop.core.abcnotation import key_name
from composeium_desktop.core.corpus.records import NORMALISED_TONIC
from composeium_desktop.core.generation.prime import normalised_prime
from composeium_desktop.core.generation.request import GenerationRequest, KeyChoice
from composeium_desktop.core.generation.sampling import log_softmax
from composeium_desktop.core.generation.transposer import BarTransposer
from composeium_desktop.core.generation.tune_run import StepModel, TuneRun


def following_logprob(
    gen: StepModel,
    request: GenerationRequest,
    key: KeyChoice,
    text: str,
    upto: int,
    follow_end: int,
) -> float | None:
    """Sum of log p of the tokens of ``text[upto:follow_end]`` given the request's metadata and
    ``text[:upto]`` (a whole tune's text up to a bar line); None where the two do not read as
    one text continuing the other, or do not fit the model's length."""
    try:
        head = normalised_prime(replace(request, prime=text[:upto]), key)
        whole = normalised_prime(replace(request, prime=text[:follow_end]), key)
    except ValueError:
        return None
    if not whole.startswith(head) or len(whole) == len(head):
        return None
    to_c = BarTransposer(-key.semitones, key.name, key_name(NORMALISED_TONIC, key.mode))
    prefix = list(gen.tokenizer.encode(to_c(head)))
    follow = list(gen.tokenizer.encode(to_c(whole[len(head) :])))
    if len(prefix) + len(follow) + 2 > gen.max_len:
        return None
    return continuation_logprob(gen, request, key, prefix, follow)


def continuation_logprob(
    gen: StepModel,
    request: GenerationRequest,
    key: KeyChoice,
    prefix: list[int],
    follow: list[int],
) -> float:
    """Sum of log p(follow | metadata, prefix) under the model, fed as a run feeds a prime."""
    metric = TuneRun(gen, replace(request, prime=""), key, lambda: False).text.metric
    ids = prefix + follow
    cache = gen.start(gen.meta_ids(request, key), len(ids) + 2)
    token, position, total = gen.bos_id, 0, 0.0
    for index, nxt in enumerate(ids):
        if position >= gen.cache_size(cache):
            cache = gen.grow(cache)
        logits, cache = gen.step(token, position, cache, metric.features)
        if index >= len(prefix):
            total += float(log_softmax(logits)[nxt])
        metric = metric.feed(gen.pieces[nxt])
        token, position = nxt, position + 1
    return total
