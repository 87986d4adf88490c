"""Chords the harmoniser writes are engraved (one <harm> each, above the staff; Qt inks them:
tests/gui/test_render_qt.py) and exported to MusicXML as harmony music21 reads back."""

from __future__ import annotations

import re

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.export import abc_to_musicxml
from composeium_desktop.core.harmony import harmonise_tune_text, read_melody
from composeium_desktop.core.render import Renderer

TUNE = "X:1\nT:Chords\nM:4/4\nL:1/8\nK:D\n|:d2 AF DFAF|G2 BG E2 FG|B2 FA G2 fd|ecAc d4:|\n"


def test_harmonised_chords_are_engraved_above_the_staff() -> None:
    text = harmonise_tune_text(TUNE, "rich")
    symbols = [s.text for s in read_melody(parse_tune(text)).symbols]
    with Renderer() as renderer:
        page = renderer.render(text).pages[0]
    harms = re.findall(r'class="harm"><text x="\d+" y="(\d+)"[^>]*>([^<]+)</text>', page)
    assert [name for _, name in harms] == symbols
    staff_top = min(int(y) for y in re.findall(r'class="staff"><path d="M\d+ (\d+)', page))
    assert all(int(y) < staff_top for y, _ in harms)


def test_musicxml_carries_the_chords_as_harmony_music21_reads() -> None:
    import music21

    text = harmonise_tune_text(TUNE, "rich")
    symbols = [s.text for s in read_melody(parse_tune(text)).symbols]
    for transpose, shift in ((0, 0), (2, 2)):
        data = abc_to_musicxml(text, transpose)
        score = music21.converter.parseData(data.decode("utf-8"), format="musicxml")
        read = list(score.recurse().getElementsByClass("ChordSymbol"))
        expected = [
            music21.pitch.Pitch(s.split("/")[0].rstrip("m7")).transpose(shift).pitchClass
            for s in symbols
        ]
        assert [c.root().pitchClass for c in read] == expected
