"""Evaluation's well-formedness figures, generated beside the corpus's, and the form figures
it reports with their 95% intervals (form match, part copies, phrase repetition)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from composeium_desktop.core.abcnotation.wellformed import read_facts
from composeium_desktop.core.corpus.wellformed import MIN_TUNES, WellFormedTable
from composeium_desktop.core.evaluation.figures import format_table, targets
from composeium_desktop.core.evaluation.samples import SampleRequest, sample_metrics
from composeium_desktop.core.evaluation.wellformed_figures import corpus_wellformed

_A = "|:DFAF dFAF|GBdB AFED|DFAF dFAF|GBAF E2D2|DFAF dFAF|GBdB AFED|DFAF dFAF|GBAF E2D2:|"
_B = "|:fdfa fdfa|gfeg fdcB|fdfa fdfa|gece d2d2|fdfa fdfa|gfeg fdcB|fdfa fdfa|gece d2d2:|"
_HEADER = "X:1\nT:Test Reel\nM:4/4\nL:1/8\nR:reel\nK:D\n"
AABB = _HEADER + _A + "\n" + _B + "\n"
# The same reel with a tie between two pitches, a bar of rests and a G sharp (foreign in D).
FAULTY = AABB.replace("GBAF E2D2:|\n|:", "GBAF E2-D2:|\n|:").replace("gece d2d2:|", "z8:|")
FAULTY = FAULTY.replace("|:fdfa", "|:f^gfa", 1)


class _Tokenizer:
    def encode(self, body: str) -> list[int]:
        return [ord(c) for c in body]


@dataclass(frozen=True)
class _Record:
    body: str
    meter: str
    genre: str
    mode: str


def reel_table() -> WellFormedTable:
    """The rules of a corpus of reels like the AABB one."""
    body = _A + _B
    return WellFormedTable.from_facts(
        ("4/4", "reel", read_facts(body, "4/4", "1/8", "D")) for _ in range(MIN_TUNES)
    )


def test_generated_tunes_are_measured_against_the_corpus_rules() -> None:
    request = SampleRequest(title="Test Reel", key="D", meter="4/4", genre="reel", seed=0)
    samples = [(request, AABB)] * 3 + [(request, FAULTY)]
    figures = sample_metrics(
        samples, _Tokenizer(), set(), render_check=lambda abc: True, wellformed=reel_table()
    )
    assert figures["wf_tunes"] == 4
    assert figures["wf_violation_rate"] == pytest.approx(1 / 4)
    assert figures["wf_tie_rate"] > 0
    assert figures["wf_rest_bar_rate"] == pytest.approx(1 / 64)
    assert figures["wf_foreign_rate"] > 0
    low, high = figures["wf_violation_rate_ci95"]
    assert 0 <= low <= 0.25 <= high <= 1
    # The form figures with their intervals.
    assert figures["form_match_rate"] == pytest.approx(1.0)  # AABB, 8 bars a part
    assert figures["form_part_copy_rate"] == pytest.approx(0.0)
    assert "form_part_copy_rate_ci95" in figures
    assert "form_phrase_repetition_ci95" in figures
    # Beside the corpus's own rate: the corpus breaks none of its rules here.
    corpus = corpus_wellformed(
        [_Record("CEGE cEGE|FAcA GECD|]", "4/4", "reel", "major")] * 3, reel_table()
    )
    assert corpus["corpus_wf_violation_rate"] == 0.0
    met = {name: ok for name, ok, _ in targets({**figures, **corpus})}
    assert met["wf_violation_rate <= corpus"] is False
    assert "wf_violation_rate" in format_table({**figures, **corpus})


def test_without_a_table_there_are_no_wellformedness_figures() -> None:
    request = SampleRequest(title="Test Reel", key="D", meter="4/4", genre="reel", seed=0)
    figures = sample_metrics([(request, AABB)], _Tokenizer(), set(), render_check=lambda a: True)
    assert not any(name.startswith("wf_") for name in figures)
    assert all(name != "wf_violation_rate <= corpus" for name, _, _ in targets(figures))
