"""Phrase echo: the second phrase of a part begins as its first did.

In the reference books' dance tunes the second half of a part opens by repeating the opening of
the first: bars 5-6 of an 8-bar part against bars 1-2 score 0.80 on the form parser's similarity
(``abcnotation.form``, ``evaluate``'s ``form_dance_phrase_repetition``), the "question and
answer" a musician hears in a reel or a jig. The model, whose form features tell it the bar of
the part, writes it less often (0.66 for the dance tunes under the constraints), so while it
writes those bars the decoder favours the pieces that would repeat the part's opening bars, as
it favours a cadence at a part's end: a bonus to their logits, not a rule, so the model may
still vary the phrase (and the well-formedness rules, which cap how often a bar may come back,
still hold).

Bars are counted as the form plan counts them (``BodyState.form_bars``, no pickup); the text of
each written bar comes from where the constraints saw it close (``WrittenBody.bar_ends``).
"""

from __future__ import annotations

from collections.abc import Mapping

from composeium_desktop.core.corpus.genres import DANCE_GENRES
from composeium_desktop.core.generation.form_plan import FormPlan

# Logit bonus for a piece that continues the echo (the cadence bonus is 3.0).
ECHO_BONUS = 4.0
# Bars of the opening that the second phrase echoes.
ECHO_BARS = 2
# Parts shorter than this have no second phrase to echo.
MIN_PART_BARS = 8
_LEADING = " \n|:"


def echoes(genre: str) -> bool:
    """Does a tune of ``genre`` echo its parts' opening? The dance tunes do (the figure above is
    theirs); airs and songs follow their words' phrases, so they are left to the model."""
    return genre.lower() in DANCE_GENRES


def echo_text(
    plan: FormPlan, raw: str, bar_ends: Mapping[int, int], bars_done: int
) -> tuple[str, str] | None:
    """(the part's opening bars, what the echo has written of them so far) while the written bar
    after ``bars_done`` is one of the part's echo bars, else None. Both are without line breaks
    and leading bar lines, so that only the notes are compared."""
    if plan.part_bars < MIN_PART_BARS:
        return None
    bar = bars_done + 1  # the bar being written, 1-based
    start = 0  # bars written before the part that holds `bar`
    for end in plan.part_ends():
        if bar <= end:
            break
        start = end
    else:
        return None
    half = plan.part_bars // 2
    in_part = bar - start
    if not half < in_part <= half + ECHO_BARS:
        return None
    try:
        opening = raw[bar_ends[start] : bar_ends[start + ECHO_BARS]]
        echo = raw[bar_ends[start + half] :]
    except KeyError:
        return None
    target = opening.replace("\n", "").lstrip(_LEADING)
    written = echo.replace("\n", "").lstrip(_LEADING)
    return target, written


def echo_remainder(target: str, written: str) -> str:
    """What is left of ``target`` after ``written``, or "" once the echo has left it."""
    if not target.startswith(written):
        return ""
    return target[len(written) :]
