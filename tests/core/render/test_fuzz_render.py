"""Fuzzing: mutated tunes through rendering and export never crash, never leak a traceback.

Random ABC characters are inserted, replaced and deleted (fixed seed) in two real tunes. Every
outcome must be a result or a RenderError/ExportError with a message; the engraver worker must
never die (zero restarts), because everything that kills Verovio is rejected or rewritten first.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from composeium_desktop.core import export
from composeium_desktop.core.render import Renderer, RenderError
from composeium_desktop.core.render.bench_tune import BENCH_TUNE

DATA = Path(__file__).resolve().parents[2] / "data"
ALPHABET = "ABCDEFGabcdefgzxZ|:[]{}()\"!+^_=,'/<>-~.0123456789 \nKMLQTwW%\\&*#$@`;?"


def mutations(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    bases = [(DATA / "test_jig.abc").read_text(), BENCH_TUNE]
    tunes = []
    for index in range(count):
        chars = list(bases[index % 2])
        for _ in range(rng.randint(1, 6)):
            op, pos = rng.choice("ird"), rng.randrange(len(chars))
            if op == "i":
                chars.insert(pos, rng.choice(ALPHABET))
            elif op == "r":
                chars[pos] = rng.choice(ALPHABET)
            elif len(chars) > 1:
                del chars[pos]
        tunes.append("".join(chars))
    return tunes


def _clear(exc: Exception) -> None:
    message = str(exc)
    assert message and "Traceback" not in message and "\n" not in message
    assert "crashed" not in message, message


def _run(tunes: list[str], tmp_path: Path, export_every: int) -> dict[str, int]:
    outcome = {"rendered": 0, "rejected": 0, "exported": 0}
    with Renderer() as renderer:
        for index, tune in enumerate(tunes):
            try:
                result = renderer.render(tune)
                assert result.pages
                outcome["rendered"] += 1
            except RenderError as exc:
                _clear(exc)
                outcome["rejected"] += 1
                continue
            if index % export_every:
                continue
            for name, call in (
                ("t.mid", lambda p, t=tune: export.export_midi(t, p, renderer=renderer)),
                ("t.svg", lambda p, t=tune: export.export_svg(t, p, renderer=renderer)),
                ("t.abc", lambda p, t=tune: export.export_abc(t, p)),
            ):
                target = tmp_path / f"{index}-{name}"
                try:
                    call(target)
                    assert target.stat().st_size > 0
                    outcome["exported"] += 1
                except export.ExportError as exc:
                    _clear(exc)
                    assert not target.exists()
        assert renderer.restarts == 0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    return outcome


def test_a_few_mutated_tunes_render_or_fail_clearly(tmp_path):
    outcome = _run(mutations(60, seed=1), tmp_path, export_every=5)
    assert outcome["rendered"] > 0 and outcome["rejected"] > 0


@pytest.mark.slow
def test_a_thousand_mutated_tunes_render_and_export_or_fail_clearly(tmp_path):
    outcome = _run(mutations(1000, seed=2026), tmp_path, export_every=4)
    assert outcome["rendered"] + outcome["rejected"] == 1000
    assert outcome["rendered"] > 200 and outcome["exported"] > 100


@pytest.mark.slow
def test_mutated_tunes_export_to_wav_pdf_and_musicxml_or_fail_clearly(tmp_path):
    with Renderer() as renderer:
        for index, tune in enumerate(mutations(30, seed=7)):
            for name, call in (
                ("t.wav", lambda p, t=tune: export.export_wav(t, p, renderer=renderer)),
                ("t.pdf", lambda p, t=tune: export.export_pdf(t, p, renderer=renderer)),
                ("t.musicxml", lambda p, t=tune: export.export_musicxml(t, p)),
            ):
                target = tmp_path / f"{index}-{name}"
                try:
                    call(target)
                    assert target.stat().st_size > 0
                except export.ExportError as exc:
                    _clear(exc)
                    assert not target.exists()
        assert renderer.restarts == 0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
