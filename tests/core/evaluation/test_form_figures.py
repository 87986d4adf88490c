"""Form figures of generated samples and of the reference books' dance tunes."""

from __future__ import annotations

import pytest

from composeium_desktop.core.evaluation.figures import targets
from composeium_desktop.core.evaluation.samples import (
    SampleRequest,
    dance_form_reference,
    sample_metrics,
)

_A = "|:DFAF dFAF|GBdB AFED|DFAF dFAF|GBAF E2D2|DFAF dFAF|GBdB AFED|DFAF dFAF|GBAF E2D2:|"
_B = "|:fdfa fdfa|gfeg fdcB|fdfa fdfa|gece d2d2|fdfa fdfa|gfeg fdcB|fdfa fdfa|gece d2d2:|"
_HEADER = "X:1\nT:Test Reel\nM:4/4\nL:1/8\nR:reel\nK:D\n"
AABB = _HEADER + _A + "\n" + _B + "\n"
AAAA = _HEADER + _A + "\n" + _A + "\n"
SINGLE = _HEADER + _A.replace("|:", "|").replace(":|", "|]") + "\n"


class _Tokenizer:
    def encode(self, body: str) -> list[int]:
        return [ord(c) for c in body]


def _request(genre: str = "reel") -> SampleRequest:
    return SampleRequest(title="Test Reel", key="D", meter="4/4", genre=genre, seed=0)


def test_form_rates_of_hand_written_reels() -> None:
    samples = [(_request(), AABB), (_request(), AABB), (_request(), AAAA), (_request(), SINGLE)]
    figures = sample_metrics(samples, _Tokenizer(), set(), render_check=lambda abc: True)
    assert figures["form_aabb_rate"] == pytest.approx(3 / 4)  # the single 8-bar part is not
    assert figures["form_b_distinct_rate"] == pytest.approx(2 / 3)  # AAAA's B copies A
    assert figures["form_b_above_a_rate"] == pytest.approx(2 / 3)
    low, high = figures["form_aabb_rate_ci95"]
    assert 0 <= low <= 0.75 <= high <= 1
    met = {name: ok for name, ok, _ in targets(figures)}
    assert met["form_aabb_rate >= 90%"] is False
    assert met["form_b_distinct_rate >= 95%"] is False


def test_the_aabb_rate_counts_dance_tunes_only() -> None:
    samples = [(_request("air"), SINGLE), (_request("reel"), AABB)]
    figures = sample_metrics(samples, _Tokenizer(), set(), render_check=lambda abc: True)
    assert figures["form_aabb_rate"] == 1.0


class _Record:
    def __init__(self, collection: str, genre: str, body: str) -> None:
        self.collection, self.genre, self.body = collection, genre, body
        self.meter, self.mode = "4/4", "major"


def test_dance_form_reference_reads_the_reference_books_dance_tunes() -> None:
    body = AABB.split("K:D\n")[1]
    records = [
        _Record("oneills1850", "reel", body),
        _Record("ryansMammoth", "hornpipe", SINGLE.split("K:D\n")[1]),
        _Record("essenFolksong", "reel", SINGLE.split("K:D\n")[1]),  # not a reference book
        _Record("oneills1850", "air", SINGLE.split("K:D\n")[1]),  # not a dance genre
    ]
    figures = dance_form_reference(records)
    assert figures["corpus_form_aabb_rate"] == pytest.approx(1 / 2)
    assert figures["corpus_form_b_above_a_rate"] == 1.0
