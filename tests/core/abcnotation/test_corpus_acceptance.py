"""Corpus-wide acceptance: the lexer and the normaliser on every tune bundled with music21."""

from __future__ import annotations

import random
import time

import pytest

from composeium_desktop.core.abcnotation import (
    ABCError,
    BarTracker,
    Tune,
    bar_errors,
    bar_lengths,
    lex,
    normalise_body,
)


@pytest.mark.slow
def test_lexer_accepts_99_9_percent_of_the_corpus(corpus_tunes: list[tuple[str, Tune]]) -> None:
    started = time.perf_counter()
    rejected: list[str] = []
    for collection, tune in corpus_tunes:
        try:
            lex(tune.body)
        except ABCError as exc:
            rejected.append(f"{collection} {tune.title!r}: {exc}")
    elapsed = time.perf_counter() - started
    rate = 1 - len(rejected) / len(corpus_tunes)
    print(
        f"\nlexer accepted {len(corpus_tunes) - len(rejected)}/{len(corpus_tunes)} tunes "
        f"({rate:.2%}) in {elapsed:.1f} s"
    )
    assert len(corpus_tunes) > 12000
    assert rate >= 0.999, rejected[:20]  # `composeium check --music21-corpus` lists the rest


@pytest.mark.slow
def test_normalised_bodies_lex_and_keep_bar_lengths(corpus_tunes: list[tuple[str, Tune]]) -> None:
    checked = 0
    for index, (_, tune) in enumerate(corpus_tunes):
        try:
            before = bar_lengths(tune.body, tune.meter, tune.unit)
        except ABCError:
            continue
        body = normalise_body(tune)
        lex(body)
        if index % 5 == 0:  # the bar comparison is the slow part: every fifth tune
            after = bar_lengths(body, tune.meter, "1/8")
            assert [(b.length, b.expected) for b in after] == [
                (b.length, b.expected) for b in before
            ], tune.title
            checked += 1
    assert checked > 2000


@pytest.mark.slow
def test_strict_tracker_accepts_well_barred_tunes_fed_in_random_pieces(
    corpus_tunes: list[tuple[str, Tune]],
) -> None:
    rng = random.Random(0)
    fed = 0
    for _, tune in corpus_tunes[::11]:
        try:
            if bar_errors(tune.body, tune.meter, tune.unit):
                continue
        except ABCError:
            continue
        body = normalise_body(tune)
        tracker = BarTracker.start(tune.meter, "1/8")
        position = 0
        while position < len(body):
            step = rng.randint(1, 5)
            tracker = tracker.feed(body[position : position + step])
            position += step
        assert tracker.finish().can_end(), tune.title
        fed += 1
    assert fed > 500
