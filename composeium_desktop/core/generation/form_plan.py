"""The form a tune is asked to have: its parts, their bars, their repeats, a pickup or not.

A ``FormPlan`` such as "AABB" with 8 bars per part is written as two 8-bar parts, each between
repeat signs (``|: A :|: B :|``): a letter written twice in a row is a repeated part, once an
unrepeated one ("AB" is ``A || B |]``). Every part is new music, so a letter may not come back
after another ("AABA" would need the decoder to copy the A part). ``default_form`` gives each
genre the form of the corpus's dance tunes (AABB, 8 bars a part); airs, songs and other tunes
keep a free form (None).

``closings`` turns a plan into what ``bar_state.BarState`` enforces: for each bar as a musician
counts it (0 the pickup, 1..N the bars), the bar lines that may close it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation import TRAIN_UNIT

PART_BARS = (8, 16)
DANCE_FORM_GENRES = (
    "reel",
    "jig",
    "slip jig",
    "hornpipe",
    "strathspey",
    "polka",
    "waltz",
    "march",
)
FREE = "free"
_LETTERS_RE = re.compile(r"^(?:([A-F])\1?)+$")
# Bar lines by the bar they close: a repeat's end (and the start of a repeated part after it).
_REPEAT_END = frozenset({":|"})
_REPEAT_END_THEN_REPEAT = frozenset({":|", "::", ":|:", ":||:"})
_SECTION_END = frozenset({"||"})
_SECTION_END_THEN_REPEAT = frozenset({"||", "||:"})
_PLAIN = frozenset({"|"})


@dataclass(frozen=True)
class FormPlan:
    """Parts ("AABB"), bars per written part, and whether a pickup may open the tune."""

    parts: str = "AABB"
    part_bars: int = 8
    pickup: bool = True

    @property
    def written_parts(self) -> tuple[tuple[str, bool], ...]:
        """(letter, repeated) for each part as written, in order."""
        found = re.findall(r"(([A-F])\2?)", self.parts)
        return tuple((group[1], len(group[0]) == 2) for group in found)

    @property
    def total_bars(self) -> int:
        """Bars written (a repeated part once), as a musician counts them (no pickup)."""
        return len(self.written_parts) * self.part_bars

    def part_of_bar(self, bar: int) -> int:
        """The written part (0-based) that bar number ``bar`` (1-based) belongs to."""
        return (bar - 1) // self.part_bars

    def label(self) -> str:
        """How the panel and the CLI show it: "AABB, 8+8"."""
        bars = "+".join(str(self.part_bars) for _ in self.written_parts)
        return f"{self.parts}, {bars}" + ("" if self.pickup else ", no pickup")

    def closings(self) -> tuple[frozenset[str], ...]:
        """The bar lines that may close each bar: index 0 the pickup, 1..N the bars."""
        parts = self.written_parts
        out: list[frozenset[str]] = [frozenset()]
        if self.pickup:
            out = [frozenset({"|", "|:"}) if parts[0][1] else _PLAIN]
        for index, (_, repeated) in enumerate(parts):
            last = index == len(parts) - 1
            next_repeated = not last and parts[index + 1][1]
            out.extend(_PLAIN for _ in range(self.part_bars - 1))
            if last:
                out.append(_REPEAT_END if repeated else frozenset({"|]"}))
            elif repeated:
                out.append(_REPEAT_END_THEN_REPEAT if next_repeated else _REPEAT_END)
            else:
                out.append(_SECTION_END_THEN_REPEAT if next_repeated else _SECTION_END)
        return tuple(out)

    def reopen(self) -> frozenset[int]:
        """The bars after which a bare ``|:`` may open the next part (0: the tune's start)."""
        parts = self.written_parts
        return frozenset(i * self.part_bars for i, (_, repeated) in enumerate(parts) if repeated)


def check_form(plan: FormPlan) -> None:
    """ValueError (one line) unless the plan is one the decoder can write."""
    if not _LETTERS_RE.match(plan.parts):
        raise ValueError(
            f"unknown form {plan.parts!r}: use part letters A-F, a letter twice for a repeated "
            "part (AABB, AB, AABBCC, ABB)"
        )
    letters = [letter for letter, _ in plan.written_parts]
    if len(set(letters)) != len(letters):
        raise ValueError(
            f"form {plan.parts!r} brings a part back: every part is new music (AABB, AABBCC, AB)"
        )
    if letters != [chr(ord("A") + i) for i in range(len(letters))]:
        raise ValueError(f"form {plan.parts!r}: name the parts A, B, C ... in order")
    if plan.part_bars not in PART_BARS:
        raise ValueError(f"bars per part must be one of {', '.join(map(str, PART_BARS))}")


def parse_form(text: str, part_bars: int = 8, pickup: bool = True) -> FormPlan | None:
    """A plan from "AABB" (or "free" / "" -> None); also reads the panel's "AABB, 8+8" and
    "AB, 16+16, no pickup". ValueError (one line) for a form the decoder cannot write."""
    words = [w.strip() for w in text.split(",")]
    if not words[0] or words[0].lower() == FREE:
        return None
    for word in words[1:]:
        if word.lower() == "no pickup":
            pickup = False
        elif word:
            sizes = set(word.split("+"))
            if len(sizes) != 1 or not word.replace("+", "").isdigit():
                raise ValueError(f"unknown part lengths {word!r}: write them like 8+8")
            part_bars = int(sizes.pop())
    plan = FormPlan(words[0].upper(), part_bars, pickup)
    check_form(plan)
    return plan


def default_form(genre: str) -> FormPlan | None:
    """The genre's form in the corpus's dance tunes: AABB, 8 bars a part; None (free) for airs,
    songs and other tunes."""
    return FormPlan() if genre.lower() in DANCE_FORM_GENRES else None


def copies_a_part(body: str, meter: str, key: str) -> bool:
    """Does the last part of this body (ending on a part's closing bar line) sound as an earlier
    part does? The notation core reads the parts and compares what they sound, as the
    evaluation's form figures do."""
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.abcnotation.form import COPY_SIMILARITY, read_form, similarity

    try:
        parts = read_form(body, meter, TRAIN_UNIT, key)
    except ABCError:
        return False
    if len(parts) < 2:
        return False
    last = parts[-1].notes()
    return any(similarity(last, part.notes()) >= COPY_SIMILARITY for part in parts[:-1])
