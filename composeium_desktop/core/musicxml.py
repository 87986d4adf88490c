"""What music21's ABC reader loses, put back into its MusicXML from the notation core's reading.

music21 names the composer "Music21" when a tune has no C: field, drops rolls and trills, and
misplaces slurs around chords and grace notes (one left open, another closed twice). The
tune's own C: field becomes the composer (or there is none); ornaments and slurs are taken
from the notation core's lexer and put on the notes they belong to. A note of the ABC is
matched with a note of the MusicXML in order (chords count once, grace notes and rests not at
all); when the two counts differ the ornaments cannot be placed with certainty, so music21's
slurs are kept, only balanced, and ornaments are not added (`Notations.placed` says which).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from composeium_desktop.core.abcnotation import lex, parse_tune
from composeium_desktop.core.abcnotation.lexer import (
    CHORD,
    CHORD_END,
    DECO,
    GRACE,
    GRACE_END,
    NOTE,
    SLUR,
    SLUR_END,
)

# ABC decoration -> MusicXML ornament. A roll (~) has no MusicXML sign of its own; the turn is
# the sign abcm2ps and most readers show for it.
ORNAMENTS = {
    "~": "turn",
    "roll": "turn",
    "turn": "turn",
    "T": "trill-mark",
    "trill": "trill-mark",
    "M": "mordent",
    "lowermordent": "mordent",
    "mordent": "mordent",
    "P": "inverted-mordent",
    "uppermordent": "inverted-mordent",
    "pralltriller": "inverted-mordent",
}
# Elements that come after <notations> inside a <note> (MusicXML's sequence).
_AFTER_NOTATIONS = ("lyric", "play", "listen")


@dataclass
class NoteMarks:
    """What one note of the ABC carries: ornaments, slurs starting and stopping on it."""

    ornaments: list[str] = field(default_factory=list)
    slur_starts: int = 0
    slur_stops: int = 0


@dataclass(frozen=True)
class Notations:
    """The outcome: the MusicXML text and whether ornaments and slurs were placed."""

    xml: bytes
    placed: bool


def note_marks(abc: str) -> list[NoteMarks]:
    """One NoteMarks per note event of the tune's body (a chord is one event)."""
    tune = parse_tune(abc)
    events: list[NoteMarks] = []
    pending_ornaments: list[str] = []
    pending_slurs = 0
    in_grace = in_chord = chord_counted = False
    for tok in lex(tune.body, tune.body_line):
        kind = tok.kind
        if kind == GRACE:
            in_grace = True
        elif kind == GRACE_END:
            in_grace = False
        elif kind == CHORD:
            in_chord, chord_counted = True, False
        elif kind == CHORD_END:
            in_chord = False
        elif kind == DECO and not in_grace:
            ornament = ORNAMENTS.get(str(tok.data))
            if ornament:
                pending_ornaments.append(ornament)
        elif kind == SLUR:
            pending_slurs += 1
        elif kind == SLUR_END and events:
            events[-1].slur_stops += 1
        elif kind == NOTE and not in_grace and not (in_chord and chord_counted):
            chord_counted = in_chord
            events.append(NoteMarks(pending_ornaments, pending_slurs))
            pending_ornaments, pending_slurs = [], 0
    return events


def _xml_notes(root: ET.Element) -> list[ET.Element]:
    """The MusicXML notes that match ABC note events, in score order (first part)."""
    part = root.find("part")
    if part is None:
        return []
    return [
        note
        for note in part.iter("note")
        if note.find("rest") is None and note.find("chord") is None and note.find("grace") is None
    ]


def _notations(note: ET.Element) -> ET.Element:
    found = note.find("notations")
    if found is not None:
        return found
    element = ET.Element("notations")
    children = list(note)
    index = next((i for i, c in enumerate(children) if c.tag in _AFTER_NOTATIONS), len(children))
    note.insert(index, element)
    return element


def _remove_slurs(root: ET.Element) -> None:
    for notations in root.iter("notations"):
        for slur in notations.findall("slur"):
            notations.remove(slur)


def _balance_slurs(root: ET.Element) -> None:
    """Drop slur stops with no start and starts never stopped (per slur number)."""
    part = root.find("part")
    if part is None:
        return
    open_by_number: dict[str, tuple[ET.Element, ET.Element]] = {}
    for notations in part.iter("notations"):
        for slur in notations.findall("slur"):
            number = slur.get("number", "1")
            if slur.get("type") == "start":
                open_by_number[number] = (notations, slur)
            elif slur.get("type") == "stop":
                if number in open_by_number:
                    del open_by_number[number]
                else:
                    notations.remove(slur)
    for notations, slur in open_by_number.values():
        notations.remove(slur)


def _place(notes: list[ET.Element], marks: list[NoteMarks]) -> None:
    open_slurs: list[tuple[int, ET.Element, ET.Element]] = []  # number, notations, slur
    for note, mark in zip(notes, marks, strict=True):
        if not (mark.ornaments or mark.slur_starts or mark.slur_stops):
            continue
        notations = _notations(note)
        for _ in range(mark.slur_stops):
            if open_slurs:
                number = open_slurs.pop()[0]
                ET.SubElement(notations, "slur", {"number": str(number), "type": "stop"})
        for _ in range(mark.slur_starts):
            used = {n for n, _, _ in open_slurs}
            number = next(n for n in range(1, 17) if n not in used)
            slur = ET.SubElement(notations, "slur", {"number": str(number), "type": "start"})
            open_slurs.append((number, notations, slur))
        if mark.ornaments:
            ornaments = notations.find("ornaments")
            if ornaments is None:
                ornaments = ET.SubElement(notations, "ornaments")
            for name in dict.fromkeys(mark.ornaments):
                ET.SubElement(ornaments, name)
    for _, notations, slur in open_slurs:  # a slur the ABC never closes is not written half
        notations.remove(slur)
    for note in notes:
        empty = note.find("notations")
        if empty is not None and len(empty) == 0:
            note.remove(empty)


def _set_composer(root: ET.Element, composer: str | None) -> None:
    identification = root.find("identification")
    if identification is None:
        if not composer:
            return
        identification = ET.Element("identification")
        anchor = next(
            (i for i, c in enumerate(root) if c.tag in ("defaults", "credit", "part-list")), 0
        )
        root.insert(anchor, identification)
    for creator in identification.findall("creator"):
        if creator.get("type") == "composer":
            identification.remove(creator)
    if composer:
        creator = ET.Element("creator", {"type": "composer"})
        creator.text = composer
        identification.insert(0, creator)
    for credit in root.findall("credit"):
        if credit.findtext("credit-type") == "composer" or (
            not composer and any(w.text == "Music21" for w in credit.iter("credit-words"))
        ):
            root.remove(credit)


def fix_musicxml(xml: bytes, abc: str) -> Notations:
    """`xml` (music21's MusicXML for the tune `abc`) with the tune's composer, ornaments and
    slurs. Raises ABCError when `abc` cannot be read."""
    head, _, _ = xml.partition(b"<score-partwise")
    root = ET.fromstring(xml)
    tune = parse_tune(abc)
    composer = tune.field("C")
    _set_composer(root, composer.strip() if composer and composer.strip() else None)
    marks = note_marks(abc)
    notes = _xml_notes(root)
    placed = len(marks) == len(notes)
    if placed:
        _remove_slurs(root)
        _place(notes, marks)
    else:
        _balance_slurs(root)
    body = ET.tostring(root, encoding="unicode").encode("utf-8")
    return Notations(head + body, placed)


__all__ = ["ORNAMENTS", "NoteMarks", "Notations", "fix_musicxml", "note_marks"]
