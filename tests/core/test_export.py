"""Every export read back with an independent reader; failures leave nothing behind."""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from composeium_desktop.core import export
from composeium_desktop.core.export import ExportError
from composeium_desktop.core.render import Renderer

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT_EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
JIG = (DATA / "test_jig.abc").read_text()
JIG_NOTES_PLAYED = 56  # repeats and first/second endings included
JIG_NOTES_WRITTEN = 31
JIG_SECONDS = 14 * 1.5


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def test_wav_is_44k1_16bit_stereo_of_the_tune_length_and_audible(renderer, tmp_path):
    result = export.export_wav(JIG, tmp_path / "jig.wav", renderer=renderer)
    with wave.open(str(result.path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (44100, 2, 2)
        seconds = wav.getnframes() / 44100
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert JIG_SECONDS < seconds < JIG_SECONDS + 2
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 300
    assert result.audio_s == pytest.approx(seconds) and result.realtime_factor > 1


def test_midi_has_every_played_note(renderer, tmp_path):
    path = export.export_midi(JIG, tmp_path / "jig.mid", renderer=renderer).path
    midi = mido.MidiFile(str(path))

    def played(track: mido.MidiTrack) -> list[mido.Message]:
        return [m for m in track if m.type == "note_on" and m.velocity > 0]

    names = {m.name: track for track in midi.tracks for m in track if m.type == "track_name"}
    # The test jig has chord symbols, so the band plays beside the melody on its own tracks.
    assert midi.type == 1 and len(played(names["Melody"])) == JIG_NOTES_PLAYED
    assert played(names["Bass"]) and played(names["Chords"])
    assert midi.length == pytest.approx(JIG_SECONDS, abs=0.01)


@pytest.mark.parametrize(("paper", "size_pt"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_pdf_pages_show_engraved_notes(renderer, tmp_path, paper, size_pt):
    long_reel = (DATA / "long_reel.abc").read_text()
    path = export.export_pdf(long_reel, tmp_path / "reel.pdf", paper, renderer=renderer).path
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) >= 2
    assert all(abs(float(w) - size_pt[0]) < 1 and abs(float(h) - size_pt[1]) < 1 for w, h in boxes)
    assert b"/Subtype /Image" not in data  # vector, not a picture of the score
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(boxes)
    from PIL import Image

    for page in pages:
        gray = np.asarray(Image.open(page).convert("L"))
        assert (gray < 100).mean() > 0.01  # staves and notes
    first = np.asarray(Image.open(pages[0]).convert("L"))
    top = first[: first.shape[0] // 12]
    assert (top < 100).any()  # the title sits at the top of page 1
    layout = ["pdftotext", "-layout", "-l", "1", str(path), "-"]
    text = subprocess.run(layout, capture_output=True, text=True, check=True).stdout
    assert text.strip().splitlines()[0].strip() == "The Long Reel"


def test_musicxml_parsed_by_music21_has_the_tunes_notes(tmp_path):
    from music21 import converter, note

    path = export.export_musicxml(JIG, tmp_path / "jig.musicxml").path
    score = converter.parse(str(path))
    notes = list(score.recurse().getElementsByClass(note.Note))
    assert len(notes) == JIG_NOTES_WRITTEN
    assert [n.pitch.name for n in notes[:6]] == ["G", "A", "B", "A", "G", "F#"]
    assert score.metadata.bestTitle == "The Test Jig"


def test_svg_is_one_qt_clean_document(renderer, tmp_path):
    import xml.etree.ElementTree as ET

    path = export.export_svg(JIG, tmp_path / "jig.svg", renderer=renderer).path
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}svg")) == 0
    assert len(re.findall(r'class="note"', path.read_text())) == JIG_NOTES_WRITTEN


def test_png_shows_the_score(renderer, tmp_path):
    from PIL import Image

    path = export.export_png(JIG, tmp_path / "jig.png", renderer=renderer).path
    gray = np.asarray(Image.open(path).convert("L"))
    assert gray.shape[1] >= 1000 and (gray < 100).mean() > 0.01


def test_abc_is_written_and_transposed(tmp_path):
    same = export.export_abc(JIG, tmp_path / "same.abc").path
    assert same.read_text() == JIG
    up = export.export_abc(JIG, tmp_path / "up.abc", transpose=2).path.read_text()
    assert "K:A" in up and "T:The Test Jig" in up


BAD = JIG.replace('"D"AGF', '"D AGF')


@pytest.mark.parametrize(
    "call",
    [
        lambda p, r: export.export_wav(BAD, p, renderer=r),
        lambda p, r: export.export_midi(BAD, p, renderer=r),
        lambda p, r: export.export_pdf(BAD, p, renderer=r),
        lambda p, r: export.export_svg(BAD, p, renderer=r),
        lambda p, r: export.export_musicxml(BAD, p),
        lambda p, r: export.export_abc(BAD, p),
    ],
)
def test_a_bad_tune_raises_with_its_position_and_writes_nothing(renderer, tmp_path, call):
    target = tmp_path / "out.file"
    with pytest.raises(ExportError) as info:
        call(target, renderer)
    assert info.value.line == 8 and info.value.col is not None
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_a_clear_error(renderer, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export.export_midi(JIG, tmp_path / "nope" / "x.mid", renderer=renderer)


def test_an_unwritable_folder_is_a_clear_error(renderer, tmp_path):
    # A folder the kernel refuses to create files in even for root (sysfs), and, for other
    # users, an ordinary folder without write permission.
    targets = [Path("/sys/composeium-test.mid")]
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() != 0:
        targets.append(folder / "x.mid")
    try:
        for target in targets:
            with pytest.raises(ExportError, match="permission denied"):
                export.export_midi(JIG, target, renderer=renderer)
            assert not target.exists()
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_a_full_disk_leaves_no_partial_file_and_keeps_the_old_one(renderer, tmp_path, monkeypatch):
    target = tmp_path / "jig.wav"
    target.write_bytes(b"previous export")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "fsync", disk_full)
    with pytest.raises(ExportError, match="the disk is full"):
        export.export_wav(JIG, target, renderer=renderer)
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["jig.wav"]


def test_atomic_write_cleans_up_when_the_writer_fails(tmp_path):
    def broken(handle: io.BufferedWriter) -> None:
        handle.write(b"half")
        raise RuntimeError("writer bug")

    with pytest.raises(RuntimeError):
        export.atomic_write(tmp_path / "x.bin", broken)
    assert list(tmp_path.iterdir()) == []


def test_pdf_book_has_a_contents_page_then_every_tune(renderer, tmp_path):
    book_text = (ROOT_EXAMPLES / "oneills-reels.abc").read_text(encoding="utf-8")
    path = export.export_pdf_book(book_text, tmp_path / "book.pdf", renderer=renderer).path
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages >= 4  # contents + at least a page per tune

    def page_text(n: int) -> str:
        command = ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    contents = page_text(1)
    assert "Contents" in contents
    listed = re.findall(r"(\d)\. (.+?)\s+(\d+)\s*$", contents, re.M)
    assert [t for _, t, _ in listed] == [
        "The Bucks of Oranmore",
        "The Humors of Westport",
        "The Girl Who Broke My Heart",
    ]
    for _, title, page in listed:  # each tune starts on the page the contents give
        assert title in page_text(int(page))
    with pytest.raises(ExportError):
        export.export_pdf_book("", tmp_path / "empty.pdf", renderer=renderer)
