"""The shipped model writes the same tunes, token for token, for the same request and seed.

``data/golden_tunes.json`` was written by the decoder before the notation core took over its
bar-line, unit-length and ending rules (issue 16); any change to the constrained decoder, the
piece table, the sampler or the transposition that changes a single token shows up here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.paths import model_dir

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_tunes.json").read_text())


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


@pytest.mark.parametrize(
    "case", GOLDEN, ids=lambda case: f"{case['request']['key']}-{case['request']['seed']}"
)
def test_same_seed_same_tokens_as_before(shipped: Generator, case: dict[str, object]) -> None:
    request = GenerationRequest(**case["request"])  # type: ignore[arg-type]
    steps = list(shipped.generate(request))
    last = steps[-1]
    assert [step.token for step in steps[:-1]] == case["tokens"]
    assert last.normalised_body == case["normalised_body"]
    assert last.abc == case["abc"]
    assert last.intended_bars == case["intended_bars"]
    # float32 sums round differently on different CPUs (SIMD width): about 1e-7 here against
    # the recording machine; a different token or distribution moves it by far more.
    assert last.logprob == pytest.approx(case["logprob"], abs=1e-5)


def record(path: Path = Path(__file__).parent / "data" / "golden_tunes.json") -> None:
    """Write the golden tunes again with the shipped model, for the same requests: only when
    the model or the decoder changes on purpose (say so in the commit):
    ``python tests/core/generation/test_golden.py --record``."""
    generator = Generator.load(model_dir())
    cases = []
    for case in GOLDEN:
        request = case["request"]
        steps = list(generator.generate(GenerationRequest(**request)))  # type: ignore[arg-type]
        last = steps[-1]
        cases.append(
            {
                "request": request,
                "tokens": [step.token for step in steps[:-1]],
                "abc": last.abc,
                "normalised_body": last.normalised_body,
                "logprob": last.logprob,
                "intended_bars": last.intended_bars,
            }
        )
    path.write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--record"]:
        record()
