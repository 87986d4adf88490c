"""Real-world tune books (tests/data/books): `check` and the renderer agree with abc2abc.

Every tune that abc2abc (Debian abcmidi, installed by scripts/setup.sh) reads without an
``%Error`` line must get no error mark from `composeium check` and must engrave; every tune
abc2abc reports an error in (broken.abc) must get an error mark.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from composeium_desktop import cli
from composeium_desktop.core.abcnotation import split_tunebook, validate
from composeium_desktop.core.render import Renderer, RenderError

BOOKS = Path(__file__).resolve().parents[2] / "data" / "books"
BOOK_FILES = sorted(BOOKS.glob("*.abc"))


def _tunes() -> list[tuple[str, str]]:
    """(label, tune text) for every tune of every book."""
    tunes = []
    for path in BOOK_FILES:
        for tune in split_tunebook(path.read_text(encoding="utf-8")):
            tunes.append((f"{path.name} X:{tune.number}", tune.to_abc()))
    return tunes


TUNES = _tunes()


def _abc2abc_errors(text: str, tmp_path: Path) -> list[str]:
    assert shutil.which("abc2abc"), "abc2abc is missing: scripts/setup.sh installs abcmidi"
    path = tmp_path / "tune.abc"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(["abc2abc", str(path)], capture_output=True, text=True, timeout=30)
    return [line for line in (done.stdout + done.stderr).splitlines() if "%Error" in line]


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def test_the_books_hold_what_real_tune_books_contain() -> None:
    text = "".join(path.read_text(encoding="utf-8") for path in BOOK_FILES)
    for construct in ("y0", "[P:", "%%", "I:", "\\\n", "+:", "w:", "W:", '"^', "!trill!", "V:"):
        assert construct in text, construct
    assert len(TUNES) >= 20


@pytest.mark.parametrize(("label", "text"), TUNES, ids=[label for label, _ in TUNES])
def test_check_and_render_agree_with_abc2abc(label, text, tmp_path, renderer) -> None:
    abc2abc_errors = _abc2abc_errors(text, tmp_path)
    core_errors = [e for e in validate(text) if e.severity == "error"]
    if abc2abc_errors:
        assert core_errors, f"{label}: abc2abc says {abc2abc_errors}, check says nothing"
        return
    assert core_errors == [], f"{label}: abc2abc reads it, check says {core_errors}"
    try:
        result = renderer.render(text)
        performance = renderer.perform(text)
    except RenderError as exc:
        pytest.fail(f"{label}: abc2abc reads it, the renderer refuses it: {exc}")
    assert result.pages and result.timemap and performance.notes


def test_check_prints_file_line_column_and_exits_by_severity(capsys) -> None:
    good = [str(p) for p in BOOK_FILES if p.name != "broken.abc"]
    assert cli.main(["check", *good]) == 0
    capsys.readouterr()
    assert cli.main(["check", str(BOOKS / "broken.abc")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"{BOOKS / 'broken.abc'}:8:1: error: unclosed quote" in lines[0]
    assert any(":21:3: error: cannot read the key 'H'" in line for line in lines)


def test_check_exits_2_for_unreadable_files(tmp_path, capsys) -> None:
    binary = tmp_path / "tune.abc"
    binary.write_bytes(b"X:1\nK:G\n\x00\x01abc")
    latin = tmp_path / "latin.abc"
    latin.write_bytes("X:1\nT:Caf\xe9\nK:G\nabc|\n".encode("latin-1"))
    for path, words in (
        (tmp_path / "missing.abc", "no such file"),
        (binary, "binary"),
        (latin, "not UTF-8"),
    ):
        assert cli.main(["check", str(path)]) == 2
        assert words in capsys.readouterr().err


def test_render_draws_a_tune_with_y0_spacers_and_parts(tmp_path) -> None:
    out = tmp_path / "maggie.svg"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "composeium_desktop",
            "render",
            str(BOOKS / "folk_tunes.abc"),
            "--tune",
            "102",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().lstrip().startswith("<")


def test_render_draws_a_tune_with_a_mark_and_shows_the_mark(tmp_path) -> None:
    out = tmp_path / "pipes.svg"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "composeium_desktop",
            "render",
            str(BOOKS / "broken.abc"),
            "--tune",
            "303",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert f"{BOOKS / 'broken.abc'}:21:3: error: cannot read the key 'H'" in done.stderr
    assert out.read_text().lstrip().startswith("<")


def test_several_voices_are_all_drawn_and_the_first_is_played(renderer) -> None:
    text = next(t for label, t in TUNES if label == "ensemble.abc X:202")
    result = renderer.render(text)
    performance = renderer.perform(text)
    drawn = {e.id for e in result.timemap}
    played = [pitch for _, _, _, pitch, _ in performance.notes]
    assert len(drawn) == 22 + 10  # the fiddle's 22 notes and the bass's 10
    assert played and min(played) >= 60  # the fiddle (V:1) alone: the bass is below middle C
