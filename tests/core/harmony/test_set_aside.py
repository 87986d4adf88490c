"""Chorded text where the model reads: primes lose their chords for the model and get them
back in the finished tune; `evaluate --abc` scores the melody with the chords set aside."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from composeium_desktop.core.evaluation.likelihood import (
    abc_file_chord_symbols,
    abc_file_records,
)
from composeium_desktop.core.generation.prime import normalised_prime, restore_prime_chords
from composeium_desktop.core.generation.request import GenerationRequest, resolve_key
from composeium_desktop.core.harmony.text import chords_in_time, restore_chords_in_time

PRIME = 'X:1\nT:P\nM:6/8\nL:1/8\nK:D\n|:"D"dAF "G"GBd|"A"cBA "D"d3|'


def test_chords_in_time_and_back_into_a_rewritten_body() -> None:
    chords = chords_in_time(PRIME)
    assert chords == [
        (Fraction(0), "D"),
        (Fraction(3, 8), "G"),
        (Fraction(6, 8), "A"),
        (Fraction(9, 8), "D"),
    ]
    # The same music written differently (L:1/16, other spacing) and continued.
    body = "|:d2A2F2 G2B2d2|c2B2A2 d6|e2f2g2 a6:|\n"
    restored = restore_chords_in_time(body, "D", "6/8", "1/16", chords)
    assert restored == '|:"D"d2A2F2 "G"G2B2d2|"A"c2B2A2 "D"d6|e2f2g2 a6:|\n'


def test_a_chorded_prime_reaches_the_model_bare_and_the_tune_keeps_its_chords() -> None:
    request = GenerationRequest(key="D", meter="6/8", prime=PRIME)
    key = resolve_key(request.key)
    bare = normalised_prime(request, key)
    assert '"' not in bare and "dAF" in bare
    finished = bare + "fed cBA|d3 d3:|\n"
    out = restore_prime_chords(request, key, finished)
    assert out.startswith('|:"D"dAF "G"GBd|"A"cBA "D"d3|')
    assert out.endswith("fed cBA|d3 d3:|\n")


def test_evaluate_abc_sets_chords_aside(tmp_path: Path) -> None:
    chorded = tmp_path / "chorded.abc"
    bare = tmp_path / "bare.abc"
    tune = 'X:1\nT:T\nM:6/8\nL:1/8\nK:G\n|:"G"GAG GAB|"D"ABA ABd|"C"edd gdd|"D"edB "G"G3:|\n'
    chorded.write_text(tune)
    bare.write_text(tune.replace('"G"', "").replace('"D"', "").replace('"C"', ""))
    records, rejected = abc_file_records([chorded])
    bare_records, _ = abc_file_records([bare])
    assert rejected == 0 and [r.body for r in records] == [r.body for r in bare_records]
    assert abc_file_chord_symbols([chorded]) == 5
