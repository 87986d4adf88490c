"""The form's last touches to a body the decoder wrote under a plan (``finish_form``).

Returning parts (AABA, ABA, AABBA): the decoder writes each new part once; this module writes
the parts that come back out again after them, as a copy of the earlier part's text.

A written-out copy is ordinary ABC that every tool plays in the planned order (no ``P:``
playing order, which many tools ignore). The copy keeps the earlier part's bars as written
(line breaks, chords, decorations) and changes only bar lines: its last bar closes the tune with
``|]`` (``:|`` for a repeated return) or leads on (``||``). A part with first and second
endings comes back, unrepeated, as its common bars and its second ending; repeated, whole. The
first part's pickup comes back with it only where the bar before the copy is short (the pickup
completes it), so no bar is written short in the middle of the tune.

The parts are found by the notation core (``form.read_bars``/``parts_of``, ``bars.bar_lengths``);
a body that does not read as the plan's new parts (a run that ended early) is left as it is.

Repeats: a repeated part gets the ``|:`` that opens it where the decoder left it out
(``open_repeats``), as abc2abc expects of a ``:|`` or ``:|2``.
"""

from __future__ import annotations

import re

from composeium_desktop.core.abcnotation import TRAIN_UNIT, ABCError
from composeium_desktop.core.abcnotation.bars import BarInfo, bar_lengths
from composeium_desktop.core.abcnotation.form import Bar, Part, parts_of, read_bars
from composeium_desktop.core.abcnotation.lexer import lex
from composeium_desktop.core.generation.form_plan import FormPlan

_LEAD = re.compile(r"[\s|:]*")


def finish_form(plan: FormPlan | None, body: str, meter: str, key: str) -> str:
    """The decoder's body as the tune is written out: repeats opened (``open_repeats``) and
    returning parts copied (``splice_returns``)."""
    return splice_returns(plan, open_repeats(plan, body, meter, key), meter, key)


def splice_returns(plan: FormPlan | None, body: str, meter: str, key: str) -> str:
    """``body`` (the new parts, as the decoder wrote them) with the plan's returning parts
    written after it; ``body`` unchanged when the plan has none or the body is not the plan's."""
    if plan is None or not plan.returns:
        return body
    try:
        bars = read_bars(body, meter, TRAIN_UNIT, key)
        infos = bar_lengths(body, meter, TRAIN_UNIT)
    except ABCError:
        return body
    parts = parts_of(bars)
    if len(parts) != len(plan.generated_parts) or len(infos) != len(bars):
        return body
    texts = _bar_texts(body, bars)
    index = {id(bar): i for i, bar in enumerate(bars)}
    short_before = _short(infos[-1])
    out = body.rstrip()
    if out.endswith("|]"):  # the decoder's text is closed as a tune; the returns follow it
        out = out[:-2] + "||"
    returns = plan.returns
    for number, (letter, repeated) in enumerate(returns):
        part = parts[ord(letter) - ord("A")]
        tune_end = number == len(returns) - 1
        # A repeated copy without endings closes on its repeat; otherwise the tune or the part.
        closing = ":|" if repeated and not part.endings else ("|]" if tune_end else "||")
        chosen = _played_bars(part, repeated, pickup=short_before)
        pieces = [texts[index[id(bar)]] for bar in chosen]
        if repeated:
            closings = [bar.closing + _ending_of(bars, index[id(bar)]) for bar in chosen]
        else:
            closings = ["|" for _ in chosen]
        opening = "|:" if repeated else ""
        if opening and chosen[0].is_pickup:  # the repeat starts after the pickup
            closings[0], opening = "|:", ""
        closings[-1] = closing
        copy = "".join(text + bar_line for text, bar_line in zip(pieces, closings, strict=True))
        out += "\n" + opening + copy
        short_before = _short(infos[index[id(chosen[-1])]])
    return out + ("\n" if body.endswith("\n") else "")


def _played_bars(part: Part, repeated: bool, pickup: bool) -> list[Bar]:
    """The part's bars as the copy writes them: a repeated return whole, an unrepeated one its
    common bars and its last ending; the pickup only where asked."""
    bars = [bar for bar in part.bars if pickup or not bar.is_pickup]
    if repeated:
        return bars + [bar for ending in part.endings.values() for bar in ending]
    if part.endings:
        return bars + part.endings[max(part.endings)]
    return bars


def _short(info: BarInfo) -> bool:
    return info.expected is not None and info.length < info.expected


def _ending_of(bars: list[Bar], i: int) -> str:
    """The ending a bar's closing bar line opens ("1" for ``|1``), as written."""
    following = bars[i + 1] if i + 1 < len(bars) else None
    return following.ending if following is not None else ""


def _bar_offsets(body: str, bars: list[Bar]) -> list[tuple[int, int, int, int]]:
    """For each bar: where its text begins (after the bar line before it), where its music
    begins (line breaks, spaces and bar lines that open it skipped), and where its closing
    bar line begins and ends."""
    starts = _line_starts(body)
    closing = {(t.line, t.col): t for t in lex(body) if t.kind == "bar"}
    offsets: list[tuple[int, int, int, int]] = []
    begin = 0
    for bar in bars:
        token = closing.get(bar.end)
        end = starts[bar.end[0] - 1] + bar.end[1] - 1 if token is not None else len(body)
        lead = _LEAD.match(body, begin, end)
        music = lead.end() if lead else begin
        after = end + (len(token.text) if token is not None else 0)
        offsets.append((begin, music, end, after))
        begin = after
    return offsets


def _bar_texts(body: str, bars: list[Bar]) -> list[str]:
    """Each bar's music up to its closing bar line, a line break before it kept."""
    texts: list[str] = []
    for begin, music, end, _ in _bar_offsets(body, bars):
        texts.append(("\n" if "\n" in body[begin:music] and texts else "") + body[music:end])
    return texts


def open_repeats(plan: FormPlan | None, body: str, meter: str, key: str) -> str:
    """``body`` with ``|:`` written where a repeated part opens without one (a pickup's ``|``
    becomes ``|:``): ABC 2.1 repeats from the last section end, but abc2abc and other tools
    look for the ``|:`` a repeat belongs to."""
    if plan is None:
        return body
    try:
        bars = read_bars(body, meter, TRAIN_UNIT, key)
    except ABCError:
        return body
    parts = parts_of(bars)
    if len(parts) != len(plan.generated_parts):
        return body
    offsets = _bar_offsets(body, bars)
    index = {id(bar): i for i, bar in enumerate(bars)}
    edits: list[tuple[int, int, str]] = []
    for part, (_, repeated) in zip(parts, plan.generated_parts, strict=True):
        first = next((bar for bar in part.bars if not bar.is_pickup), None)
        if not repeated or first is None or first.opens_repeat:
            continue
        i = index[id(first)]
        if "|:" in body[offsets[i][0] : offsets[i][1]]:
            continue  # "|| |:": opened by a bar line of its own
        if i > 0 and bars[i - 1].is_pickup and bars[i - 1].closing == "|":
            edits.append((offsets[i - 1][2], offsets[i - 1][3], "|:"))
        else:
            edits.append((offsets[i][1], offsets[i][1], "|:"))
    for start, stop, text in reversed(edits):
        body = body[:start] + text + body[stop:]
    return body


def _line_starts(body: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, c in enumerate(body) if c == "\n")
    return starts
