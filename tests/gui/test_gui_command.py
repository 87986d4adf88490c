"""`composeium gui` argument checks: bad input is one line and exit code 2."""

from __future__ import annotations

from composeium_desktop.cli import main


def test_missing_file_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["gui", str(tmp_path / "nope.abc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]


def test_screenshot_needs_something_to_show(capsys) -> None:
    assert main(["gui", "--screenshot", "x.png"]) == 2
    assert "--screenshot needs" in capsys.readouterr().err
