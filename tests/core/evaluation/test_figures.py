"""Evaluation: sample metrics on given tunes, structure helpers, and a tiny-model run end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest

from composeium_desktop.core.abcnotation import last_note_pc
from composeium_desktop.core.evaluation.figures import format_table, targets
from composeium_desktop.core.evaluation.samples import (
    SampleRequest,
    bootstrap_intervals,
    corpus_reference,
    sample_metrics,
    training_windows,
)
from composeium_desktop.core.model.testing import make_tiny_model_dir, tiny_records

GOOD = """X:1
T:Test Reel
M:4/4
L:1/8
R:reel
K:D
|:DFAF dFAF|GBdB AFED|DFAF dFAF|GBAF E2D2:|
"""
WRONG_HEADER = GOOD.replace("R:reel", "R:jig").replace("K:D", "K:G")
BAD_BARS = GOOD.replace("GBdB AFED", "GBdB AFE")
BROKEN = GOOD.replace("|:DFAF", '|:"DFAF')


class _Tokenizer:
    def encode(self, body: str) -> list[int]:
        return [ord(c) for c in body]


def _request(**changes) -> SampleRequest:
    base = dict(title="Test Reel", key="D", meter="4/4", genre="reel", seed=0)
    base.update(changes)
    return SampleRequest(**base)


def test_sample_metrics_on_hand_written_tunes() -> None:
    samples = [(_request(), GOOD), (_request(), WRONG_HEADER), (_request(), BAD_BARS),
               (_request(), BROKEN)]  # fmt: skip
    figures = sample_metrics(samples, _Tokenizer(), set(), render_check=lambda abc: True)
    assert figures["samples"] == 4
    assert figures["valid_rate"] == pytest.approx(3 / 4)
    assert figures["header_match_rate"] == pytest.approx(2 / 3)
    assert figures["bar_error_rate"] == pytest.approx(1 / 12)
    assert figures["tonic_end_rate"] == pytest.approx(2 / 3)  # the G-major copy ends on D
    assert figures["copy_rate"] == 0.0
    assert 0 < figures["distinct_4gram"] < 1
    assert figures["median_bars"] == 4.0  # of the three valid tunes; the broken one is left out


def test_length_match_rate_counts_valid_tunes_that_keep_their_intended_length() -> None:
    samples = [(_request(bars=4), GOOD), (_request(bars=8), GOOD), (_request(bars=4), BROKEN),
               (_request(), GOOD)]  # fmt: skip
    figures = sample_metrics(samples, _Tokenizer(), set(), render_check=lambda abc: True)
    # GOOD closes 4 bars; the broken tune is invalid and the last had no length to keep.
    assert figures["length_match_rate"] == pytest.approx(1 / 2)
    plain = sample_metrics([(_request(), GOOD)], _Tokenizer(), set(), lambda abc: True)
    assert plain["length_match_rate"] is None


def test_render_rejection_makes_a_sample_invalid() -> None:
    figures = sample_metrics([(_request(), GOOD)], _Tokenizer(), set(), lambda abc: False)
    assert figures["valid_rate"] == 0.0


def test_copy_rate_finds_training_text_in_the_normalised_key() -> None:
    from composeium_desktop.core.corpus import records_from_abc_text

    training_body = records_from_abc_text(GOOD, "test")[0].body  # moved to C like the corpus
    assert "DFAF" not in training_body
    windows = training_windows([training_body])
    figures = sample_metrics([(_request(), GOOD)], _Tokenizer(), windows, lambda abc: True)
    assert figures["copy_rate"] == 1.0


def test_last_note_uses_key_signature_and_bar_accidentals() -> None:
    assert last_note_pc("ABc d2 F2|", "D") == 6  # F is sharp in D major
    assert last_note_pc("=F2 F2|", "D") == 5  # the natural carries through the bar
    assert last_note_pc("=F2|F2|", "D") == 6  # ... but not past the bar line
    assert last_note_pc("B,2 [CEG]2|", "C") == 7
    assert last_note_pc("z4|", "C") is None


def test_corpus_reference_rates_are_proportions() -> None:
    figures = corpus_reference(tiny_records())
    assert 0 <= figures["bar_error_rate"] < 0.5
    assert 0.3 < figures["tonic_end_rate"] <= 1
    from composeium_desktop.core.abcnotation import bar_lengths

    lengths = sorted(len(bar_lengths(r.body, r.meter, "1/8")) for r in tiny_records())
    assert figures["median_bars"] == float(np.median(lengths)) and lengths[0] < lengths[-1]


def test_targets_report_met_and_not_met() -> None:
    checks = dict(
        (name, met)
        for name, met, _ in targets(
            {"val_bpc": 1.0, "ngram_val_bpc": 2.0, "valid_rate": 0.98, "copy_rate": 0.01}
        )
    )
    assert checks["val_bpc <= 0.65 x ngram_val_bpc"] is True
    assert checks["valid_rate >= 99%"] is False
    assert checks["copy_rate <= 5%"] is True
    assert checks["tonic_end_rate >= corpus"] is None
    assert "NOT met" in format_table({"valid_rate": 0.98})


def test_bootstrap_intervals_bracket_the_rates_and_narrow_with_more_tunes() -> None:
    # 4 tunes in 100 invalid; 16 bars each, one wrong bar in every fourth; 70 in 96 end on the tonic.
    tunes = [(-1, 0, 0)] * 4 + [(int(i % 4 == 0), 16, int(i < 70)) for i in range(96)]
    small = bootstrap_intervals(tunes)
    assert small["valid_rate_ci95"][0] < 0.96 < small["valid_rate_ci95"][1] <= 1.0
    assert small["bar_error_rate_ci95"][0] < 24 / (96 * 16) < small["bar_error_rate_ci95"][1]
    assert small["tonic_end_rate_ci95"][0] < 70 / 96 < small["tonic_end_rate_ci95"][1]
    assert bootstrap_intervals(tunes) == small  # seeded
    large = bootstrap_intervals(tunes * 10)
    for name, (low, high) in large.items():
        assert high - low < 0.5 * (small[name][1] - small[name][0])
    assert bootstrap_intervals([]) == {}


def test_sample_metrics_and_targets_carry_the_intervals() -> None:
    samples = [(_request(), GOOD)] * 3 + [(_request(), BROKEN)]
    figures = sample_metrics(samples, _Tokenizer(), set(), render_check=lambda abc: True)
    low, high = figures["valid_rate_ci95"]
    assert 0 <= low <= 0.75 <= high <= 1
    detail = dict((name, text) for name, _, text in targets(figures))["valid_rate >= 99%"]
    assert detail == f"75.0% (95% interval {low:.1%}-{high:.1%})"
    assert "valid_rate_ci95" in format_table(figures)


def test_evaluation_end_to_end_on_a_tiny_model(tmp_path) -> None:
    from composeium_desktop.core.evaluation.figures import run_evaluation

    folder = make_tiny_model_dir(tmp_path / "tiny")
    abc_file = tmp_path / "mine.abc"
    abc_file.write_text(GOOD + "\n" + BROKEN.replace("X:1", "X:2"))
    figures = run_evaluation(
        folder,
        samples=2,
        abc_files=[abc_file],
        records=list(tiny_records()),
        render_check=lambda abc: True,
    )
    for name in ("val_bpc", "test_bpc", "ngram_val_bpc", "abc_bpc", "abc_ngram_bpc"):
        value = figures[name]
        assert value is None or (math.isfinite(value) and value > 0), name
    assert figures["abc_tunes"] == 1 and figures["abc_rejected"] == 1
    # A random model over a ~160-piece vocabulary is far worse than the n-gram.
    assert figures["abc_bpc"] > figures["abc_ngram_bpc"]
    assert figures["samples"] == 2
    assert 0 <= figures["valid_rate"] <= 1
    assert "corpus_tonic_end_rate" in figures
    assert figures["corpus_median_bars"] > 4  # O'Neill's tunes run to 8 bars and more
    assert (figures["temperature"], figures["top_p"]) == (1.0, 0.95)  # the app's sampler


def test_sampler_settings_reach_the_generated_tunes(tmp_path) -> None:
    from composeium_desktop.core.corpus.lengths import LENGTHS_FILE
    from composeium_desktop.core.evaluation.samples import generate_samples

    folder = make_tiny_model_dir(tmp_path / "tiny")
    # Without a length table the seed draws no length, so greedy tunes depend on metadata only.
    (folder / LENGTHS_FILE).unlink()
    requests = [_request(seed=seed) for seed in (1, 2, 3)]
    greedy = generate_samples(folder, requests, True, sampling={"temperature": 0.0})
    assert all(abc for _, abc in greedy)
    assert len({abc for _, abc in greedy}) == 1  # same metadata, no sampling: one tune
    sampled = generate_samples(folder, requests, True)
    assert all(abc for _, abc in sampled)
    assert len({abc for _, abc in sampled}) > 1
    # No table draws no length: a reel's length is its form's (AABB, 8+8; one more written
    # bar with a pickup), as the app asks for it.
    assert all(request.bars in (16, 17) for request, _ in sampled)
    free = generate_samples(folder, [_request(genre="air", seed=1)], True)
    assert free[0][0].bars is None  # an air has a free form: no length


def test_samples_report_their_intended_length_and_keep_an_asked_one(tmp_path) -> None:
    from composeium_desktop.core.evaluation.samples import generate_samples

    folder = make_tiny_model_dir(tmp_path / "tiny")
    drawn = generate_samples(folder, [_request(seed=seed) for seed in (1, 2)], True)
    assert all(request.bars and request.bars > 0 for request, _ in drawn)  # from lengths.json
    asked = generate_samples(folder, [_request(seed=seed, bars=3) for seed in (1, 2)], True)
    assert [request.bars for request, _ in asked] == [3, 3]
    figures = sample_metrics(asked, _Tokenizer(), set(), render_check=lambda abc: True)
    assert figures["length_match_rate"] == 1.0  # constrained decoding keeps an asked length


@pytest.mark.parametrize("option", [["--top-p", "0"], ["--top-p", "1.5"], ["--temperature", "-1"]])
def test_evaluate_rejects_bad_sampler_settings(tmp_path, option: list[str]) -> None:
    from composeium_desktop import cli

    folder = make_tiny_model_dir(tmp_path / "tiny")
    assert cli.main(["evaluate", "--model", str(folder), "--samples", "1", *option]) == 2
