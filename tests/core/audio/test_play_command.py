"""`composeium play`: plays to the end with a progress line; a missing device is a clear error."""

from __future__ import annotations

import pytest

from composeium_desktop.cli import main
from composeium_desktop.core.audio import output

TUNE = "X:1\nT:Short\nM:4/4\nL:1/4\nQ:1/4=240\nK:C\nC D E F|G A B c|]\n"


@pytest.fixture
def tune_file(tmp_path):
    path = tmp_path / "short.abc"
    path.write_text(TUNE)
    return path


def test_no_output_device_is_one_clear_line(tune_file, monkeypatch, capsys):
    def no_device():
        raise output.AudioDeviceError(
            "no audio output device found (PortAudio reports 0 output devices)"
        )

    monkeypatch.setattr(output, "_check_output_devices", no_device)
    assert main(["play", str(tune_file)]) == 2
    err = capsys.readouterr().err
    assert "composeium play: no audio output device found" in err


def test_a_bad_tempo_is_refused(tune_file, capsys):
    assert main(["play", str(tune_file), "--tempo", "5"]) == 2
    assert "--tempo must be between 10 and 1000" in capsys.readouterr().err


@pytest.mark.audio_device
def test_play_runs_to_the_end_with_a_progress_line(tune_file, capsys):
    if output.output_device_problem():
        pytest.skip(output.output_device_problem())
    assert main(["play", str(tune_file), "--count-in"]) == 0
    out = capsys.readouterr().out
    assert "count-in / 0:02" in out
    assert out.rstrip().endswith("0:02 / 0:02  done")
