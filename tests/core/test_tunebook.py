"""The tune book as a file: verbatim round trips, edits that touch only one tune, melody search."""

from __future__ import annotations

from pathlib import Path

import pytest

from composeium_desktop.core.abcnotation import ABCError, split_tunebook
from composeium_desktop.core.tunebook import TuneBook, melody_intervals, melody_pitches, tune_at

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"

BOOK = (
    "% My session tunes\n"
    "%%abc-charset utf-8\n"
    "\n"
    "X:1\nT:First Jig\nR:jig\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|GBd gdB:|\n"
    "\n\n"
    "X:2\nT:Second Reel\nT:Alternative Name\nR:reel\nM:4/4\nL:1/8\nK:G\n"
    "|:GABc dBGB|c2ec BGAB:|\n"
    "\n"
    "% a comment between tunes\n"
    "\n"
    "X:7\nT:Slow Air\nM:3/4\nL:1/8\nK:Em\nE2 G2 B2|e4 d2|B6|]\n"
)


def test_parse_keeps_every_byte_and_reads_each_tune() -> None:
    book = TuneBook.parse(BOOK)
    assert book.text == BOOK
    assert [t.title for t in book.tunes] == ["First Jig", "Second Reel", "Slow Air"]
    assert [t.key for t in book.tunes] == ["D", "G", "Em"]
    assert [t.meter for t in book.tunes] == ["6/8", "4/4", "3/4"]
    assert [t.genre for t in book.tunes] == ["jig", "reel", ""]
    assert [t.title for t in split_tunebook(BOOK)] == [t.title for t in book.tunes]


def test_crlf_and_unterminated_books_round_trip() -> None:
    crlf = BOOK.replace("\n", "\r\n")
    assert TuneBook.parse(crlf).text == crlf
    assert TuneBook.parse(BOOK.rstrip("\n")).text == BOOK.rstrip("\n")
    example = (EXAMPLES / "oneills-reels.abc").read_text(encoding="utf-8")
    assert TuneBook.parse(example).text == example


def test_replace_changes_only_that_tune() -> None:
    book = TuneBook.parse(BOOK)
    edited = book.tune_text(1).replace("|c2ec BGAB:|", "|c2ec BGAG:|")
    changed = book.replace(1, edited)
    assert changed.text == BOOK.replace("|c2ec BGAB:|", "|c2ec BGAG:|")
    assert changed.tunes[0].text == book.tunes[0].text
    assert changed.gaps == book.gaps
    crlf = TuneBook.parse(BOOK.replace("\n", "\r\n"))
    out = crlf.replace(2, crlf.tune_text(2).replace("\r\n", "\n").replace("B6|]", "E6|]")).text
    assert out == BOOK.replace("\n", "\r\n").replace("B6|]", "E6|]")


def test_replace_with_several_tunes_keeps_each_and_empty_deletes() -> None:
    book = TuneBook.parse(BOOK)
    pasted = book.tune_text(0) + "\nX:9\nT:Pasted\nK:A\nABc|]\n"
    two = book.replace(0, pasted)
    assert [t.title for t in two.tunes] == ["First Jig", "Pasted", "Second Reel", "Slow Air"]
    assert TuneBook.parse(two.text).text == two.text
    assert [t.title for t in TuneBook.parse(two.text).tunes] == [t.title for t in two.tunes]
    gone = book.replace(1, "")
    assert [t.title for t in gone.tunes] == ["First Jig", "Slow Air"]


def test_add_duplicate_delete_move_reparse_to_the_same_tunes() -> None:
    book = TuneBook.parse(BOOK)
    added = book.append("T:New One\nM:2/4\nK:A\nAB cd|]")
    assert added.text.startswith(BOOK)
    assert added.tunes[-1].number == 8 and added.tunes[-1].title == "New One"
    dup = added.duplicate(0)
    assert [t.title for t in dup.tunes][:2] == ["First Jig", "First Jig"]
    assert dup.tunes[1].number == 9
    moved = dup.move(4, 0)
    assert [t.title for t in moved.tunes] == [
        "New One",
        "First Jig",
        "First Jig",
        "Second Reel",
        "Slow Air",
    ]
    deleted = moved.delete(4).delete(0)
    for candidate in (added, dup, moved, deleted):
        again = TuneBook.parse(candidate.text)
        assert [t.text for t in again.tunes] == [t.text for t in candidate.tunes]
    assert [t.title for t in deleted.tunes] == ["First Jig", "First Jig", "Second Reel"]
    single = TuneBook.parse("T:No Number\nK:D\nDEF|]\n").append("T:Two\nK:G\nGAB|]\n")
    assert [t.title for t in TuneBook.parse(single.text).tunes] == ["No Number", "Two"]
    empty = TuneBook.parse("").append("X:1\nT:Only\nK:C\nC|]")
    assert empty.text == "X:1\nT:Only\nK:C\nC|]\n"


def test_title_search_reads_every_title_line() -> None:
    book = TuneBook.parse(BOOK)
    assert book.search_title("reel") == [1]
    assert book.search_title("ALTERNATIVE") == [1]
    assert book.search_title("") == [0, 1, 2]


def test_melody_pitches_follow_key_bar_accidentals_ties_chords_and_graces() -> None:
    assert melody_pitches("FGA|f", "D") == [66, 67, 69, 78]
    assert melody_pitches("=F F|F", "D") == [65, 65, 66]
    assert melody_pitches("A2-A B", "C") == [69, 71]
    assert melody_pitches("{g}[Ace]2 B [K:F] B", "C") == [69, 71, 70]


def test_melody_search_finds_the_notes_in_any_key() -> None:
    book = TuneBook.parse(BOOK)
    assert melody_intervals("DE^FG") == (2, 2, 1)
    # D F A in D major is a major-triad arpeggio: C E G finds it, so does G B d.
    assert book.search_melody("CEG") == [0]
    assert book.search_melody("GBd") == [0]
    # "dBGB" in G (a falling third, third, rising third) appears in the reel only.
    assert book.search_melody("cAFA") == [1]
    assert book.search_melody("E G B e") == [2]
    assert book.search_melody("C^C D^D") == []
    with pytest.raises(ABCError):
        book.search_melody("C")
    with pytest.raises(ABCError):
        book.search_melody("C ]] D")


def test_tune_at_gives_the_tune_under_a_position() -> None:
    start = BOOK.index("X:2")
    span = tune_at(BOOK, start + 10)
    assert span is not None and BOOK[span[0] : span[1]].startswith("X:2")
    assert tune_at(BOOK, 0) == tune_at(BOOK, BOOK.index("X:1"))
    assert tune_at("", 0) is None
