"""Constrained decoding writes well-formed tunes: the decoder's state refuses a tie between
different pitches, a bar of rests in a dance tune, note values outside the genre's range, a
pitch outside the mode and a bar repeated more than the corpus does; and the shipped model,
asked for every genre the form offers, writes tunes the notation core finds nothing wrong
with."""

from __future__ import annotations

from fractions import Fraction

import pytest

from composeium_desktop.core.abcnotation import parse_tune
from composeium_desktop.core.abcnotation.wellformed import WellFormedRules, check_tune
from composeium_desktop.core.generation.decoder import Generator
from composeium_desktop.core.generation.form_plan import default_form
from composeium_desktop.core.generation.request import GenerationRequest
from composeium_desktop.core.generation.wellformed_rules import enforce, rules_for
from composeium_desktop.core.generation.written_body import new_body_state
from composeium_desktop.paths import model_dir

DANCE = WellFormedRules(rest_bars=False)
MODES = WellFormedRules(alterations={"dorian": frozenset(), "minor": frozenset({11})})


def accepts(text: str, rules: WellFormedRules, mode: str = "major", meter: str = "4/4") -> bool:
    """Whether the state accepts `text` and some continuation could still make it valid."""
    return enforce(new_body_state(meter), rules, mode).feed(text)


def test_a_tie_holds_the_same_pitch() -> None:
    assert accepts("c2-c2 d4|", DANCE)
    assert not accepts("cd-cd", DANCE)  # refused at the d that follows the tie
    assert not accepts("c2-z", DANCE)
    assert not accepts("c2-[", DANCE)  # no chord after a tie
    assert not accepts("cdef g2a2-", DANCE)  # not across a bar line (a way out near the end)
    assert not accepts("C2-c ", DANCE)  # another octave is another pitch
    assert not accepts("C2-c'2", DANCE)
    assert accepts("C2-c,", DANCE)  # "c," is C
    assert accepts("cdef g2a-a|", DANCE)
    assert not accepts("cdef g2a-|", DANCE)  # a tie to nothing


def test_no_bar_of_rests_in_a_dance_tune() -> None:
    assert not accepts("z8 ", DANCE)
    assert not accepts("z4 z4 ", DANCE)
    assert not accepts("z6 z2 ", DANCE)
    assert accepts("z4 z", DANCE)  # "z4 z/" may still leave room for a note
    assert accepts("z4 c4|", DANCE)
    assert accepts("cdef gabc|z8|", WellFormedRules(rest_bars=True))


def test_note_values_stay_in_the_genres_range() -> None:
    rules = WellFormedRules(shortest=Fraction(1, 16), longest=Fraction(1, 4))
    assert not accepts("c2 d/e/ f4 ", rules)  # f4 is a half note
    assert accepts("c2 d/e/ f2 g2|", rules)
    assert not accepts("c// ", rules)  # a 32nd
    assert not accepts("c3 ", rules)  # a dotted quarter


def test_pitches_outside_the_mode_are_refused_beyond_the_corpus() -> None:
    assert not accepts("^G", MODES, "dorian")  # no G sharp (C dorian's raised fourth)
    assert not accepts("=B", MODES, "dorian")  # no raised seventh in dorian
    assert accepts("=B", MODES, "minor")  # the raised seventh of minor
    assert not accepts("=A", MODES, "minor")  # but no raised sixth
    assert accepts("B", MODES, "dorian")  # B flat by the key signature
    assert not accepts("[=Bd]", MODES, "dorian")  # in a chord too


def test_a_bar_that_sounds_the_same_is_not_written_too_often() -> None:
    rules = WellFormedRules(max_run=2, max_count=3)
    assert accepts("cdef gabc|cdef gabc|", rules)
    assert not accepts("cdef gabc|cd ef ga bc|cdef gabc|", rules)  # the same bar, spaced
    assert accepts("cdef gabc|cdef gabc|G8|cdef gabc|", rules)
    assert not accepts("cdef gabc|cdef gabc|G8|cdef gabc|G8|cdef gabc|", rules)


@pytest.fixture(scope="module")
def shipped() -> Generator:
    return Generator.load(model_dir())


GENRES = [
    ("reel", "4/4", "Ddor"),
    ("jig", "6/8", "Amix"),
    ("waltz", "3/4", "G"),
    ("polka", "2/4", "Em"),
    ("air", "3/4", "Am"),
    ("hornpipe", "2/4", "Bb"),
]


@pytest.mark.parametrize(("genre", "meter", "key"), GENRES)
def test_the_shipped_model_writes_well_formed_tunes_of_every_genre(
    shipped: Generator, genre: str, meter: str, key: str
) -> None:
    rules = rules_for(shipped.wellformed, meter, genre)
    assert rules.shortest is not None  # the model folder has its corpus's table
    for seed in (0, 1):
        request = GenerationRequest(
            key=key, meter=meter, genre=genre, seed=seed, form=default_form(genre)
        )
        last = list(shipped.generate(request))[-1]
        assert last.abc is not None
        tune = parse_tune(last.abc)
        broken = check_tune(tune.body, tune.meter, tune.unit, tune.key, rules)
        assert broken.total == 0, (genre, seed, broken, tune.body)
        assert broken.bars >= 8, (genre, seed, tune.body)  # a playable tune, not a stub
