"""The render scanner and timing: events, endings, crash guards, repeat expansion (no Verovio)."""

from __future__ import annotations

import pytest

from composeium_desktop.core.render.scan import (
    close_final_bar,
    first_tune,
    safe_repeats,
    scan_tune,
    tempo_bpm,
    verovio_text,
)
from composeium_desktop.core.render.timing import Measure, playing_order

HEADER = "X:1\nT:t\nM:4/4\nL:1/8\nK:D\n"


def test_events_and_positions_in_document_order():
    scan = scan_tune(HEADER + '"D"A2 [DF]z {g}^f|]\n% comment A\nw: la\n')
    assert [(e.kind, e.line, e.col) for e in scan.events] == [
        ("note", 6, 4),
        ("chord", 6, 7),
        ("rest", 6, 11),
        ("note", 6, 14),
        ("note", 6, 16),
    ]
    assert scan.error is None and scan.has_key


def test_ending_marks_point_at_the_next_event():
    scan = scan_tune(HEADER + "|:AB|1 c:|2 d|]\n[1,2 e|]\n")
    assert [(m.numbers, m.event_index) for m in scan.endings] == [((1,), 2), ((2,), 3), ((1, 2), 4)]


@pytest.mark.parametrize(
    ("body", "col", "words"),
    [
        ("abc d|]]]", 8, "stray ']'"),
        ("abc [[[", 6, "cannot contain another chord"),
        ("abc ]", 5, "stray ']'"),
        ('a"C', 2, "unclosed quote"),
        ("a{gf", 2, "grace"),
        ("a!trill", 2, "decoration"),
    ],
)
def test_structural_errors_are_the_notation_cores_with_line_and_column(body, col, words):
    error = scan_tune(HEADER + body + "\n").error
    assert error is not None and words in error.message
    assert (error.line, error.col) == (6, col)


@pytest.mark.parametrize(
    ("q", "bpm"),
    [
        ("1/4=110", 110.0),
        ("3/8=120", 180.0),
        ("120", 120.0),
        ('"Allegro" 1/2=80', 160.0),
        ("x", None),
    ],
)
def test_tempo_is_in_quarter_notes_per_minute(q, bpm):
    assert tempo_bpm(f"X:1\nQ:{q}\nK:C\nC|\n") == bpm


@pytest.mark.parametrize(
    ("body", "safe"),
    [
        ("|:A:|1B:|", "|:A:| |: B:|"),
        ("|:A:|:B:|", "|:A:| |:B:|"),
        ("[|:A:|", "|:A:|"),
        ("|:|A", "||A"),
        ("|:A|1B:|2C|]", "|:A| B:| C|]"),
        ('|:A:|[2"G"B|]', '|:A:| "G"B|]'),
        ("[CEG]2 A2|", "[CEG]2 A2|"),
        ("|:A:|  |:B:|", "|:A:| |:  B:|"),
        ("G3:|w|:  |  c:|", "G3:| |:w    c:|"),
        # ABC 2.1: a second :| repeats from the last :|, || or |] (O'Neill's A:| B:|).
        ("A2:|B2:|", "A2:| |:B2:|"),
        ("G4:|\nc4:|", "G4:|\n|:c4:|"),
        ("G4||c4:|d4:|", "G4||c4:| |:d4:|"),
        ("|:G4:|1A4:|2B4|c4:|", "|:G4:| |: A4:| B4|:c4:|"),
        ('"C:|"A!x:|!B', '"C:|"A!x:|!B'),
        ("A! G3!|B", "A|B"),
    ],
)
def test_repeats_endings_and_decorations_are_made_safe_for_verovio(body, safe):
    assert safe_repeats(HEADER + body + "\n") == HEADER + safe + "\n"


def test_what_the_core_tolerates_reaches_verovio_as_plain_abc():
    body = "[P:A]y0|: ab y2 c|!fed c2B|\nd2 d2|\n: ef|=3Dg =20\n"
    assert verovio_text(HEADER + body) == HEADER + "[P:A] |: ab   c| fed c2B|\nd2 d2|\n|: ef|=g  \n"
    assert verovio_text(HEADER + "abc ]\n") == HEADER + "abc ]\n"  # unreadable: unchanged


def test_voices_and_the_first_tune_follow_the_notation_core():
    scan = scan_tune(HEADER + "V:1\nabc|\nV:2\nA,B,C|\n")
    assert scan.first_voice == "1"
    assert [e.voice for e in scan.events] == ["1"] * 3 + ["2"] * 3
    book = HEADER + "abc|\n\nX:2\nK:C\ndef|\n"
    assert first_tune(book) == HEADER + "abc|\n"


def test_a_missing_final_bar_line_is_added():
    assert close_final_bar(HEADER + "ABc\nw: x y z\n").splitlines()[5] == "ABc |"
    assert close_final_bar(HEADER + "ABc|]\n") == HEADER + "ABc|]\n"


def _measures(spec: str) -> list[Measure]:
    """'|:a b:| c' style: one letter per measure, bars between them."""
    measures, left = [], None
    tokens = spec.split()
    for i, token in enumerate(tokens):
        if token in ("|:", ":|", "::", "||"):
            continue
        right = tokens[i + 1] if i + 1 < len(tokens) else None
        measures.append(
            Measure(
                token,
                "rptstart" if i > 0 and tokens[i - 1] in ("|:", "::") else left,
                {":|": "rptend", "::": "rptboth", "||": "dbl"}.get(right),
            )
        )
    return measures


@pytest.mark.parametrize(
    ("spec", "endings", "order"),
    [
        ("a b", {}, "ab"),
        ("|: a b :|", {}, "abab"),
        ("|: a b :| c", {"b": (1,), "c": (2,)}, "abac"),
        ("a :| b", {}, "aab"),
        ("|: a :: b :|", {}, "aabb"),
        ("|: a :| b || c :|", {}, "aabcc"),
        ("|: a b :| c |: d e :| f", {"b": (1,), "c": (2,), "e": (1,), "f": (2,)}, "abacdedf"),
    ],
)
def test_playing_order_takes_repeats_once_and_chooses_endings(spec, endings, order):
    measures = _measures(spec)
    played = playing_order(measures, endings)
    assert "".join(measures[i].id for i in played) == order


def test_a_repeat_after_a_pickup_goes_back_to_the_repeat_sign_not_the_pickup():
    # How Verovio writes "D|:GABc|1 ... :|2 ...": the repeat start is the pickup's right bar line.
    measures = [
        Measure("pickup", None, "rptstart"),
        Measure("a", None, "single"),
        Measure("first", None, "rptend"),
        Measure("second", None, "dbl"),
    ]
    played = playing_order(measures, {"first": (1,), "second": (2,)})
    assert [measures[i].id for i in played] == ["pickup", "a", "first", "a", "second"]


def test_a_played_pickup_tune_sounds_its_pickup_once():
    from composeium_desktop.core.render import Renderer

    tune = HEADER + "D|:GABc dBAG|1 FGAB A2D:|2 FGAB G3||\n"
    with Renderer() as renderer:
        performance = renderer.perform(tune)
    pickup = performance.notes[0][0]
    assert [note[0] for note in performance.notes].count(pickup) == 1
    # the pickup, then 8 + 6 notes the first time round and 8 + 5 the second
    assert len(performance.notes) == 1 + 14 + 13
