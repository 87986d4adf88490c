"""What `composeium generate` writes around each tune: its provenance, its chords and its
nearest corpus tune; and `generate --again FILE.abc`, which writes a file's tunes again from
their provenance (``core.generation.provenance``)."""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any


def written_tunes(
    generator: Any, request: Any, folder: Path, num: int, rank: bool, chords: str
) -> list[str]:
    """`num` tunes for `request` (seeds seed, seed+1, ...; a seed drawn now when it has none,
    so that each tune records the one it was written with), ranked by likelihood when `rank`,
    each with its provenance lines and chords in style `chords` ("" for none)."""
    from composeium_desktop.core.generation.provenance import finish_tune, model_identity

    if request.seed is None:
        request = replace(request, seed=secrets.randbits(31))
    results = generator.variations(request, num, rank=False)
    seeded = [(abc, logprob, request.seed + i) for i, (abc, logprob) in enumerate(results)]
    if rank:
        seeded.sort(key=lambda item: item[1], reverse=True)
    model = model_identity(folder)
    tunes = []
    for number, (abc, _, seed) in enumerate(seeded, 1):
        text, note = finish_tune(abc, replace(request, seed=seed), model, chords)
        if note:
            print(f"tune {number} {note}", file=sys.stderr)
        tunes.append(text)
    return tunes


def report_nearest(tunes: list[str], folder: Path) -> None:
    """Print each tune's nearest corpus tune to stderr, with a warning for a near copy."""
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.evaluation.originality import NEAR_COPY, load_index

    index = load_index(folder)
    if index is None:
        print(f"no corpus index in {folder}: nearest corpus tunes not shown", file=sys.stderr)
        return
    for number, abc in enumerate(tunes, 1):
        try:
            nearest = index.nearest_to_tune(abc)
        except ABCError as exc:
            print(f"tune {number}: nearest corpus tune not found: {exc}", file=sys.stderr)
            continue
        if nearest is None:
            print(f"tune {number}: no corpus tune shares a figure with it", file=sys.stderr)
            continue
        warning = f"  WARNING: a near copy (>= {NEAR_COPY:.2f})" if nearest.near_copy else ""
        print(f"tune {number}: nearest corpus tune: {nearest.describe()}{warning}", file=sys.stderr)


def run_again(args: argparse.Namespace, folder: Path) -> list[str]:
    """The tunes of `args.again` written again from their provenance (the same model, seed and
    settings write the same notes; chords as recorded)."""
    from composeium_desktop.commands import UsageError
    from composeium_desktop.core.generation.decoder import Generator
    from composeium_desktop.core.generation.provenance import (
        finish_tune,
        model_identity,
        read_provenance,
        tune_texts,
    )

    try:
        book = Path(args.again).expanduser().read_text(encoding="utf-8")
        found = [read_provenance(text) for text in tune_texts(book)]
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    recorded = [p for p in found if p is not None]
    if not recorded:
        raise UsageError(
            f"{args.again} has no tune with a %%composeium line: only tunes written by "
            "Composeium (generate or the app) can be written again"
        )
    if len(recorded) < len(found):
        print(f"{len(found) - len(recorded)} tune(s) without provenance left out", file=sys.stderr)
    model = model_identity(folder)
    generator = Generator.load(folder)
    tunes = []
    for provenance in recorded:
        if provenance.model and provenance.model != model.digest:
            print(
                f"{provenance.request.title}: written by model {provenance.model}, this is "
                f"{model.digest}: the notes will differ",
                file=sys.stderr,
            )
        last = None
        try:
            for step in generator.generate(provenance.request):
                last = step
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if last is None or last.abc is None:
            raise UsageError("generation ended without a tune")
        text, note = finish_tune(last.abc, provenance.request, model, provenance.chords)
        if note:
            print(f"{provenance.request.title}: {note}", file=sys.stderr)
        tunes.append(text)
    return tunes
