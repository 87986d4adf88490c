"""Shared fixtures: the ABC tunes bundled with music21 (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from composeium_desktop.core.abcnotation import Tune, split_tunebook


def corpus_paths() -> list[Path]:
    """Every ABC file of music21's corpus, in a fixed order."""
    from music21 import corpus

    return sorted(Path(p) for p in corpus.getPaths(fileExtensions=("abc",)))


@pytest.fixture(scope="session")
def corpus_tunes() -> list[tuple[str, Tune]]:
    """(collection folder, tune) for every tune of the corpus."""
    tunes: list[tuple[str, Tune]] = []
    for path in corpus_paths():
        text = path.read_text(encoding="latin-1")
        tunes.extend((path.parent.name, tune) for tune in split_tunebook(text))
    return tunes
