"""Form plans: reading them, the genres' defaults, and the bar lines the constrained body
state lets close each bar under a plan (no model needed)."""

from __future__ import annotations

import pytest

from composeium_desktop.core.abcnotation.form import tune_form
from composeium_desktop.core.generation.constraints import BodyState
from composeium_desktop.core.generation.form_plan import (
    FormPlan,
    copies_a_part,
    default_form,
    parse_form,
)
from composeium_desktop.core.generation.request import GenerationRequest, validate_request

BAR = "ABcd efge|"  # one 4/4 bar (unit 1/8)
OTHER = "gfed cBAG|"


def planned(plan: FormPlan, meter: str = "4/4") -> BodyState:
    state = BodyState(meter)
    state.closings = plan.closings()
    state.reopen = plan.reopen()
    return state


def fed(state: BodyState, text: str) -> bool:
    return state.clone().feed(text)


def test_parse_form_reads_the_cli_and_the_panel() -> None:
    assert parse_form("AABB") == FormPlan("AABB", 8, True)
    assert parse_form("aabb", 16, pickup=False) == FormPlan("AABB", 16, False)
    assert parse_form("AB, 16+16") == FormPlan("AB", 16, True)
    assert parse_form("AABBCC, 8+8+8, no pickup") == FormPlan("AABBCC", 8, False)
    assert parse_form("Free") is None
    assert parse_form("") is None


@pytest.mark.parametrize("text", ["ABAC", "BA", "AAA", "XY", "AABB, 8+16", "AB, 12+12"])
def test_forms_the_decoder_cannot_write_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_form(text)


def test_plan_facts() -> None:
    plan = FormPlan("AABBCC", 8)
    assert plan.written_parts == (("A", True), ("B", True), ("C", True))
    assert plan.total_bars == 24
    assert plan.label() == "AABBCC, 8+8+8"
    assert FormPlan("AB", 16).total_bars == 32


def test_genre_defaults() -> None:
    for genre in ("reel", "jig", "hornpipe", "polka", "slip jig", "march", "waltz"):
        assert default_form(genre) == FormPlan("AABB", 8, True)
    for genre in ("air", "song", "other"):
        assert default_form(genre) is None


def test_request_form_must_agree_with_bars() -> None:
    validate_request(GenerationRequest(form=FormPlan(), bars=16))
    with pytest.raises(ValueError, match="16 bars"):
        validate_request(GenerationRequest(form=FormPlan(), bars=12))
    assert GenerationRequest().form is None


def test_repeat_only_at_a_repeated_parts_last_bar() -> None:
    state = planned(FormPlan("AABB", 8))
    assert not fed(state, BAR * 3 + "ABcd efge:|")  # bar 4 of 8
    assert not fed(state, BAR * 3 + "ABcd efge||")
    assert not fed(state, BAR * 7 + "ABcd efge|")  # A's last bar must repeat
    assert not fed(state, BAR * 7 + "ABcd efge|]")
    assert fed(state, BAR * 7 + "ABcd efge:|")
    assert fed(state, BAR * 7 + "ABcd efge:|" + "|:" + OTHER)
    assert fed(state, BAR * 7 + "ABcd efge::" + OTHER)
    assert not fed(state, "ABcd |1 efge")  # no endings inside a part


def test_tune_ends_exactly_at_the_plans_last_bar() -> None:
    state = planned(FormPlan("AABB", 8))
    assert state.feed(BAR * 7 + "ABcd efge:|" + OTHER * 7)
    assert not state.can_end()
    assert not fed(state, "gfed cBAG|]")
    assert not fed(state, OTHER)  # nothing past the plan's bars
    assert state.feed("gfed cBAG:|")
    assert state.can_end()
    assert not fed(state, "ABcd")


def test_unrepeated_parts() -> None:
    state = planned(FormPlan("AB", 8))
    assert not fed(state, "|:")
    assert not fed(state, BAR * 7 + "ABcd efge:|")
    assert state.feed(BAR * 7 + "ABcd efge||" + OTHER * 7)
    assert not fed(state, "gfed cBAG:|")
    assert state.feed("gfed cBAG|]")
    assert state.can_end()


def test_pickup_allowed_or_not() -> None:
    body = "D|" + BAR * 7 + "ABcd efg:|"  # the pickup and the short bar that completes it
    assert planned(FormPlan("AABB", 8)).feed(body)
    assert not planned(FormPlan("AABB", 8, pickup=False)).feed(body)
    assert planned(FormPlan("AABB", 8, pickup=False)).feed("|:" + BAR * 7 + "ABcd efge:|")


def test_a_written_plan_reads_as_its_form() -> None:
    body = "|:" + BAR * 7 + "ABcd efge:|" + "|:" + OTHER * 7 + "gfed cBAG:|"
    assert planned(FormPlan("AABB", 8)).feed(body)
    figures = tune_form(body, "4/4", "1/8", "C")
    assert figures.aabb_shaped and figures.part_bars == (8, 8) and figures.b_distinct


def test_copies_a_part_compares_what_sounds() -> None:
    a_part = "|:" + BAR * 7 + "ABcd efge:|"
    assert copies_a_part(a_part + "|:" + BAR * 7 + "ABcd efge:|", "4/4", "C")
    # The same sounds spelled otherwise ("=c" is c in C) are still a copy.
    assert copies_a_part(a_part + "|:" + "AB=cd efge|" * 7 + "ABcd efge:|", "4/4", "C")
    assert not copies_a_part(a_part + "|:" + OTHER * 7 + "gfed cBAG:|", "4/4", "C")
    assert not copies_a_part(a_part, "4/4", "C")
