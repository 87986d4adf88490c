"""MusicXML export carries the tune's own composer (or none), its ornaments and closed slurs,
read back with ElementTree and with music21."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from composeium_desktop.core import export
from composeium_desktop.core.musicxml import fix_musicxml, note_marks

HEADER = "X:1\nT:Ornaments\nM:4/4\nL:1/8\nK:G\n"
# A roll, a trill written two ways, a slur over a grace note and a chord (music21 alone
# leaves one of these open and closes another twice) and a slur across a bar line.
TUNE = HEADER + "~G3A (Bc)dB|TA2 ({g}AB [ce]2) d2|(3efg !trill!a2 (g4|g8)|]\n"


def _export(tmp_path, abc: str) -> ET.Element:
    path = export.export_musicxml(abc, tmp_path / "tune.musicxml").path
    return ET.parse(path).getroot()


def _notes(root: ET.Element) -> list[ET.Element]:
    return [n for n in root.iter("note") if n.find("rest") is None and n.find("chord") is None]


def test_the_composer_is_the_tunes_own(tmp_path) -> None:
    from music21 import converter

    root = _export(tmp_path, TUNE.replace("K:G", "C:Paddy Fahey\nK:G"))
    creators = [(c.get("type"), c.text) for c in root.iter("creator")]
    assert creators == [("composer", "Paddy Fahey")]
    score = converter.parse(str(tmp_path / "tune.musicxml"))
    assert score.metadata.composer == "Paddy Fahey"


def test_a_tune_without_c_has_no_composer_and_never_music21(tmp_path) -> None:
    root = _export(tmp_path, TUNE)
    assert [c for c in root.iter("creator") if c.get("type") == "composer"] == []
    assert b"Music21" not in (tmp_path / "tune.musicxml").read_bytes()


def test_rolls_and_trills_are_on_their_notes(tmp_path) -> None:
    from music21 import converter, expressions, note

    root = _export(tmp_path, TUNE)
    ornamented = [
        (n.findtext("pitch/step"), [o.tag for o in n.iterfind("notations/ornaments/*")])
        for n in _notes(root)
        if n.find("grace") is None and n.find("notations/ornaments") is not None
    ]
    assert ornamented == [("G", ["turn"]), ("A", ["trill-mark"]), ("A", ["trill-mark"])]
    score = converter.parse(str(tmp_path / "tune.musicxml"))
    marked = [
        (n.pitch.name, type(e).__name__)
        for n in score.recurse().getElementsByClass(note.Note)
        for e in n.expressions
        if isinstance(e, (expressions.Turn, expressions.Trill))
    ]
    assert [name for name, _ in marked] == ["G", "A", "A"]


def test_every_slur_is_closed_on_the_note_the_abc_closes_it(tmp_path) -> None:
    from music21 import converter, spanner

    root = _export(tmp_path, TUNE)
    open_slurs: dict[str, str] = {}
    spans = []
    for n in _notes(root):
        if n.find("grace") is not None:
            continue
        step = n.findtext("pitch/step")
        for slur in n.iterfind("notations/slur"):
            number = slur.get("number")
            if slur.get("type") == "start":
                assert number not in open_slurs
                open_slurs[number] = step
            else:
                spans.append((open_slurs.pop(number), step))
    assert open_slurs == {}
    assert spans == [("B", "C"), ("A", "C"), ("G", "G")]
    score = converter.parse(str(tmp_path / "tune.musicxml"))
    slurs = list(score.recurse().getElementsByClass(spanner.Slur))
    assert len(slurs) == 3
    assert all(s.getFirst() is not s.getLast() for s in slurs)


def test_note_marks_count_a_chord_once_and_skip_grace_notes() -> None:
    marks = note_marks(HEADER + "({g}A [ce]) ~B|\n")
    assert [(m.ornaments, m.slur_starts, m.slur_stops) for m in marks] == [
        ([], 1, 0),
        ([], 0, 1),
        (["turn"], 0, 0),
    ]


def test_when_notes_cannot_be_matched_slurs_are_only_balanced() -> None:
    xml = (
        b'<?xml version="1.0"?>\n<score-partwise version="4.0"><part id="P1"><measure>'
        b'<note><pitch><step>G</step></pitch><notations><slur number="1" type="start"/>'
        b"</notations></note>"
        b'<note><pitch><step>A</step></pitch><notations><slur number="2" type="stop"/>'
        b"</notations></note></measure></part></score-partwise>"
    )
    fixed = fix_musicxml(xml, HEADER + "GAB|\n")  # three ABC notes, two written: no match
    assert not fixed.placed
    root = ET.fromstring(fixed.xml)
    assert list(root.iter("slur")) == []
    assert fixed.xml.startswith(b'<?xml version="1.0"?>')


def test_a_tune_book_exports_its_first_tune(tmp_path) -> None:
    book = (
        HEADER.replace("X:1", "X:9").replace("Ornaments", "First")
        + "GABc d4|\n\n"
        + HEADER.replace("Ornaments", "Second")
        + "c8|\n"
    )
    root = _export(tmp_path, book)
    assert root.findtext("movement-title") == "First"
    assert [n.findtext("pitch/step") for n in _notes(root)] == ["G", "A", "B", "C", "D"]
