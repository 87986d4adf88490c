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


def test_the_engraver_starts_before_the_window_and_the_window_uses_it(
    qapp, tmp_path, monkeypatch
) -> None:
    """`composeium gui` starts Verovio's process before importing the window; the window's
    render thread engraves with that renderer rather than starting a second one."""
    import composeium_desktop.core.render as render

    made: list = []

    class CountedRenderer(render.Renderer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(render, "Renderer", CountedRenderer)
    tune = tmp_path / "tune.abc"
    tune.write_text("X:1\nT:T\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|]\n", encoding="utf-8")
    shot = tmp_path / "shot.png"
    assert main(["gui", str(tune), "--screenshot", str(shot)]) == 0
    assert shot.is_file()
    assert len(made) == 1, f"{len(made)} renderers were made"
