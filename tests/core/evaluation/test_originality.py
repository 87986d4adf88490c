"""The nearest corpus tune: a corpus tune finds itself (similarity 1), a copy in another key and
spelling is still found, an unrelated tune scores low; the shipped index covers the corpus,
stays small, and a new tune's nearest tune is found quickly."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from composeium_desktop.core.abcnotation import transpose_tune
from composeium_desktop.core.evaluation.originality import (
    INDEX_FILE,
    NEAR_COPY,
    CorpusIndex,
    load_index,
    note_tokens,
    tune_tokens,
)
from composeium_desktop.paths import model_dir

# Bodies in C of their mode, unit 1/8, as the corpus records hold them.
KESH = (
    "|:CDC CDE|DED DEG|AGG cGG|AGE GED|CDC CDE|DED DEG|AGG cGE|DCB, C3:|\n"
    "|:EDE GEG|ABA GED|EDE GEC|DED DCD|EDE GEG|ABA GEG|cBc ded|ecB c3:|\n"
)
WALTZ = "|:E2 G2 c2|B4 A2|G2 F2 E2|D6|F2 A2 d2|c4 B2|A2 G2 F2|E6:|\n"
REEL = "|:cBcd edcB|AGAB c2ec|dcde fedc|BABc d2fd|cBcd edcB|AGAB c2ec|dedc BcdB|c2e2 c4:|\n"


def _record(title: str, body: str, meter: str, mode: str = "major") -> SimpleNamespace:
    return SimpleNamespace(
        title=title,
        collection="testbook",
        split="train",
        body=body,
        meter=meter,
        mode=mode,
    )


@pytest.fixture(scope="module")
def small() -> CorpusIndex:
    return CorpusIndex.build(
        [
            _record("The Kesh", KESH, "6/8"),
            _record("A Waltz", WALTZ, "3/4"),
            _record("A Reel", REEL, "4/4"),
        ]
    )


def _tune(body: str, meter: str, key: str = "C") -> str:
    return f"X:1\nT:Query\nM:{meter}\nL:1/8\nK:{key}\n{body}"


def test_a_corpus_tune_finds_itself(small: CorpusIndex) -> None:
    found = small.nearest_to_tune(_tune(KESH, "6/8"))
    assert found is not None
    assert (found.title, found.collection) == ("The Kesh", "testbook")
    assert found.similarity == pytest.approx(1.0)
    assert found.near_copy


def test_a_transposed_copy_with_chords_and_another_unit_is_still_found(
    small: CorpusIndex,
) -> None:
    in_g = transpose_tune(_tune(KESH, "6/8"), 7)
    assert "K:G" in in_g
    # The same notes in G, with chord symbols.
    body = in_g.split("K:G\n", 1)[1]
    with_chords = body.replace(" ", ' "D"', 3)
    assert with_chords.count('"D"') == 3
    found = small.nearest_to_tune(in_g.split("K:G\n", 1)[0] + "K:G\n" + with_chords)
    assert found is not None and found.title == "The Kesh"
    assert found.similarity >= 0.95
    doubled = _tune("|:C2D2C2 C2D2E2|D2E2D2 D2E2G2|A2G2G2 c2G2G2|A2G2E2 G2E2D2|\n", "6/8").replace(
        "L:1/8", "L:1/16"
    )
    half = small.nearest_to_tune(doubled)
    assert half is not None and half.title == "The Kesh"
    assert 0.3 < half.similarity < NEAR_COPY  # the first four bars of sixteen


def test_an_unrelated_tune_scores_low(small: CorpusIndex) -> None:
    other = "|:e2 ^c2 A2|B3 ^G E2|=F2 d2 f2|a6|g2 _e2 c2|=B,3 C D2|^F2 A2 ^c2|d6:|\n"
    found = small.nearest_to_tune(_tune(other, "3/4", "A"))
    assert found is None or found.similarity < 0.5


def test_rests_are_left_out_and_intervals_make_it_key_free() -> None:
    from fractions import Fraction

    eighth = Fraction(1, 8)
    a = note_tokens([(60, eighth), (-1, eighth), (62, eighth), (64, eighth * 2)])
    b = note_tokens([(67, eighth), (69, eighth), (71, eighth * 2)])
    assert np.array_equal(a, b)


def test_the_shipped_index_covers_the_corpus_and_is_small() -> None:
    path = model_dir() / INDEX_FILE
    assert path.is_file(), "build it with: composeium corpus --build-index model"
    assert path.stat().st_size < 3_000_000
    index = load_index(model_dir())
    assert index is not None and len(index) > 12_000
    assert {"oneills1850", "essenFolksong", "ryansMammoth"} <= set(index.collections)
    for i in (0, len(index) // 2, len(index) - 1):
        found = index.nearest(index.tune(i))
        assert found is not None and found.similarity == pytest.approx(1.0)
        assert np.array_equal(index.tune(found.index), index.tune(i))


def test_a_query_is_fast_after_loading(tmp_path: Path) -> None:
    index = load_index(model_dir())
    assert index is not None
    tune = _tune(KESH, "6/8", "D")
    tune_tokens(tune)
    start = time.perf_counter()
    for _ in range(5):
        index.nearest_to_tune(tune)
    # About 20 ms here (shared CPU); the app needs well under a second.
    assert (time.perf_counter() - start) / 5 < 0.5


def test_an_index_round_trips_through_its_file(small: CorpusIndex, tmp_path: Path) -> None:
    path = tmp_path / INDEX_FILE
    small.save(path)
    loaded = CorpusIndex.load(path)
    assert loaded.titles == small.titles and loaded.splits == small.splits
    assert np.array_equal(loaded.tokens, small.tokens)
    assert load_index(tmp_path) is not None and load_index(tmp_path / "none") is None
