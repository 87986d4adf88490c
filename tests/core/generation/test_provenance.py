"""A generated tune records its model, seed and settings; read back, they write the same tune
token for token with the shipped model, chords added afterwards included; `generate` records
the seed it drew when none was given, and `generate --again FILE` writes the file again."""

from __future__ import annotations

from pathlib import Path

import pytest

from composeium_desktop.cli import main
from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.form_plan import FormPlan
from composeium_desktop.core.generation.provenance import (
    add_provenance,
    finish_tune,
    model_identity,
    provenance_lines,
    read_provenance,
    strip_provenance,
    tune_texts,
)
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.core.harmony.text import strip_chords
from composeium_desktop.paths import model_dir

SHORT = GenerationRequest(
    title="The Test Jig",
    key="Em",
    meter="6/8",
    genre="jig",
    tempo=112,
    temperature=0.9,
    top_p=0.9,
    seed=1234,
    form=FormPlan("AB", 8, True),
)


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


def _written(generator: Generator, request: GenerationRequest) -> tuple[list[str], str]:
    steps = list(generator.generate(request))
    assert steps[-1].abc is not None
    return [step.token for step in steps[:-1]], steps[-1].abc


@pytest.mark.parametrize(
    "request_",
    [
        SHORT,
        GenerationRequest(seed=0, bars=12, top_k=5, max_tokens=200, constrained=False),
        GenerationRequest(
            title='Tom\'s "Odd" Title',
            key="Amix",
            meter="4/4",
            genre="reel",
            temperature=1.25,
            seed=2**31 - 2,
            prime='"G"GABc dBAG|\nFGAB',
            form=FormPlan("AABBCC", 16, False),
        ),
    ],
)
def test_every_setting_reads_back(request_: GenerationRequest) -> None:
    abc = f"X:1\nT:{request_.title}\nM:{request_.meter}\nL:1/8\nK:{request_.key}\nabc|\n"
    written = add_provenance(abc, request_, model_identity(model_dir()), "rich")
    found = read_provenance(written)
    assert found is not None
    assert found.request == request_
    assert found.chords == "rich"
    assert found.model == model_identity(model_dir()).digest
    assert strip_provenance(written) == abc
    assert parse_tune(written).key == request_.key  # the header still reads


def test_the_human_line_says_model_seed_and_form() -> None:
    note, directive = provenance_lines(SHORT, model_identity(model_dir()))
    assert note.startswith("N:Composeium model stage ")
    assert "seed 1234" in note and "temperature 0.9" in note and "top-p 0.9" in note
    assert "form AB 8+8, pickup" in note
    assert directive.startswith("%%composeium model=") and "seed=1234" in directive


def test_a_tune_needs_the_seed_actually_used() -> None:
    with pytest.raises(ValueError, match="seed"):
        provenance_lines(GenerationRequest(seed=None))


def test_no_provenance_reads_as_none_and_a_bad_line_says_so() -> None:
    assert read_provenance("X:1\nT:a\nK:D\nabc|\n") is None
    with pytest.raises(ValueError, match="%%composeium"):
        read_provenance("X:1\n%%composeium seed=x\nK:D\nabc|\n")


def test_the_recorded_settings_write_the_same_tune(shipped: Generator) -> None:
    tokens, abc = _written(shipped, SHORT)
    model = model_identity(model_dir())
    text, note = finish_tune(abc, SHORT, model, "simple")
    assert note == ""
    assert '"' in parse_tune(text).body  # chords were added after the model wrote it
    assert strip_provenance(strip_chords(text)) == abc  # ... and the melody is untouched

    found = read_provenance(text)
    assert found is not None and found.request == SHORT and found.chords == "simple"
    again_tokens, again_abc = _written(shipped, found.request)
    assert again_tokens == tokens
    assert again_abc == abc
    assert finish_tune(again_abc, found.request, model, found.chords)[0] == text


def test_generate_records_the_drawn_seed_and_again_rewrites_the_file(tmp_path: Path) -> None:
    first = tmp_path / "first.abc"
    args = ["generate", "--genre", "polka", "--meter", "2/4", "--key", "G", "--form", "AB"]
    assert main([*args, "--num", "2", "--out", str(first)]) == 0
    text = first.read_text(encoding="utf-8")
    recorded = [read_provenance(tune) for tune in tune_texts(text)]
    assert len(recorded) == 2 and all(p is not None for p in recorded)
    seeds = sorted(p.request.seed for p in recorded if p is not None)
    assert seeds[1] == seeds[0] + 1  # one drawn seed, then the next, each recorded

    again = tmp_path / "again.abc"
    assert main(["generate", "--again", str(first), "--out", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == text


def test_again_refuses_a_file_without_provenance(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "plain.abc"
    plain.write_text("X:1\nT:Plain\nM:6/8\nL:1/8\nK:D\nd2e f2g|\n", encoding="utf-8")
    assert main(["generate", "--again", str(plain)]) == 2
    assert "no tune with a %%composeium line" in capsys.readouterr().err
