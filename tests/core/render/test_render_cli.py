"""`composeium render` and `composeium export` as a user runs them: files out, or one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mido
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
JIG = (DATA / "test_jig.abc").read_text()
CRASHERS = ["abc d|]]]", "abc [[[", "abc ]", 'a"C']


def composeium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "composeium_desktop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    crashers = "".join(
        f"\nX:{n}\nT:Crasher {n}\nM:4/4\nL:1/8\nK:D\n{body}\n"
        for n, body in enumerate(CRASHERS, 10)
    )
    path = tmp_path / "book.abc"
    path.write_text(JIG + crashers)
    return path


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_render_writes_each_format(book, tmp_path, suffix):
    out = tmp_path / f"jig{suffix}"
    done = composeium("render", str(book), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    head = out.read_bytes()[:8]
    assert {".svg": b"<", ".png": b"\x89PNG", ".pdf": b"%PDF"}[suffix] in head


@pytest.mark.parametrize(("number", "col"), [(10, 8), (11, 5), (12, 5), (13, 2)])
def test_known_crashers_give_one_line_with_file_line_and_column(book, tmp_path, number, col):
    lines = book.read_text().splitlines()
    body_line = lines.index(f"X:{number}") + 6
    done = composeium("render", str(book), "--tune", str(number), "-o", "x.svg", cwd=tmp_path)
    assert done.returncode == 2
    message = done.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert f"line {body_line}, column " in message
    assert not (tmp_path / "x.svg").exists()


def test_unknown_tune_and_format_are_usage_errors(book, tmp_path):
    for args in (["--tune", "99", "-o", "x.svg"], ["-o", "x.gif"]):
        done = composeium("render", str(book), *args, cwd=tmp_path)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_export_writes_everything_asked(book, tmp_path):
    done = composeium(
        "export", str(book), "--wav", "j.wav", "--midi", "j.mid", "--pdf", "j.pdf",
        "--musicxml", "j.musicxml", "--svg", "j.svg", "--abc", "j.abc",
        "--tempo", "90", "--program", "73", "--transpose", "2", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("j.wav", "j.mid", "j.pdf", "j.musicxml", "j.svg", "j.abc"):
        assert (tmp_path / name).stat().st_size > 0
    assert "x real time" in done.stdout
    midi = mido.MidiFile(str(tmp_path / "j.mid"))
    assert [m.program for m in midi.tracks[1] if m.type == "program_change"] == [73]
    assert "K:A" in (tmp_path / "j.abc").read_text()


def test_export_of_a_bad_tune_fails_cleanly(book, tmp_path):
    done = composeium("export", str(book), "--tune", "10", "--midi", "bad.mid", cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "column" in done.stderr
    assert list(tmp_path.glob("bad.mid*")) == []


def test_export_needs_an_output_and_valid_numbers(book, tmp_path):
    for args in ([], ["--midi", "x.mid", "--program", "200"], ["--midi", "x.mid", "--tempo", "0"]):
        done = composeium("export", str(book), *args, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
