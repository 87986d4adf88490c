"""The form a tune is asked to have: its parts, their bars, their repeats, endings, a pickup.

A ``FormPlan`` such as "AABB" with 8 bars per part is written as two 8-bar parts, each between
repeat signs (``|: A :|: B :|``): a letter written twice in a row is a repeated part, once an
unrepeated one ("AB" is ``A || B |]``). With ``endings`` (bars per ending) a repeated part ends
in first and second endings, ``|: common |1 first :|2 second ||``: the common bars and the first
ending make ``part_bars``, as a musician counts them, and the second ending replaces the first.

A letter that comes back (AABA, ABA, AABBA) is a part played again: the decoder writes each new
part once, in order, and the returning parts are written out again after them as a copy of the
earlier part's text (``form_returns.splice_returns``), so any ABC tool plays them in order. A
returning part is the last thing in the tune (no new part after a return). ``default_form`` gives
each genre the form of the corpus's dance tunes (AABB, 8 bars a part); airs, songs and other
tunes keep a free form (None).

``closings`` turns a plan into what ``bar_state.BarState`` enforces: for each bar the decoder
writes (0 the pickup, 1..N the bars as written, a second ending's bars after the first's), the
bar lines that may close it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation import TRAIN_UNIT
from composeium_desktop.core.corpus.genres import DANCE_GENRES

PART_BARS = (8, 16)
DANCE_FORM_GENRES = DANCE_GENRES  # the genres with a form by default
FREE = "free"
_LETTERS_RE = re.compile(r"^(?:([A-F])\1?)+$")
MAX_ENDING_SHARE = 2  # an ending is at most half its part
# Bar lines by the bar they close: a repeat's end (and the start of a repeated part after it).
_REPEAT_END = frozenset({":|"})
_REPEAT_END_THEN_REPEAT = frozenset({":|", "::", ":|:", ":||:"})
_SECTION_END = frozenset({"||"})
_SECTION_END_THEN_REPEAT = frozenset({"||", "||:"})
_PLAIN = frozenset({"|"})
_FIRST_ENDING = frozenset({"|1"})
_SECOND_ENDING = frozenset({":|2"})
_TUNE_END = frozenset({"|]"})


@dataclass(frozen=True)
class FormPlan:
    """Parts ("AABB"), bars per part, whether a pickup may open the tune, and the bars of each
    ending of a repeated part (0: no endings)."""

    parts: str = "AABB"
    part_bars: int = 8
    pickup: bool = True
    endings: int = 0

    @property
    def written_parts(self) -> tuple[tuple[str, bool], ...]:
        """(letter, repeated) for each part as written, in order (returning parts included)."""
        found = re.findall(r"(([A-F])\2?)", self.parts)
        return tuple((group[1], len(group[0]) == 2) for group in found)

    @property
    def generated_parts(self) -> tuple[tuple[str, bool], ...]:
        """The written parts the decoder writes: each new letter, up to the first return."""
        parts = self.written_parts
        seen: set[str] = set()
        for index, (letter, _) in enumerate(parts):
            if letter in seen:
                return parts[:index]
            seen.add(letter)
        return parts

    @property
    def returns(self) -> tuple[tuple[str, bool], ...]:
        """The written parts after the new ones: copies of earlier parts."""
        return self.written_parts[len(self.generated_parts) :]

    def written_length(self, repeated: bool) -> int:
        """Bars of one part as written: a second ending's bars too."""
        return self.part_bars + (self.endings if repeated else 0)

    @property
    def total_bars(self) -> int:
        """Bars the decoder writes (a repeated part once, second endings included, returning
        parts not), no pickup."""
        return sum(self.written_length(repeated) for _, repeated in self.generated_parts)

    @property
    def tune_bars(self) -> int:
        """Bars of the whole tune as written (returning parts included), no pickup."""
        return sum(self.written_length(repeated) for _, repeated in self.written_parts)

    @property
    def musician_bars(self) -> int:
        """Bars as a musician counts them: each written part's ``part_bars``."""
        return len(self.written_parts) * self.part_bars

    def part_ends(self) -> tuple[int, ...]:
        """The written bar (1-based, no pickup) that closes each part the decoder writes."""
        ends, done = [], 0
        for _, repeated in self.generated_parts:
            done += self.written_length(repeated)
            ends.append(done)
        return tuple(ends)

    def ends_part(self, bar: int) -> bool:
        """Does written bar ``bar`` close a part (its second ending's last bar)?"""
        if not self.endings:
            return bar > 0 and bar % self.part_bars == 0
        return bar in self.part_ends()

    def label(self) -> str:
        """How the panel and the CLI show it: "AABB, 8+8" ("..., endings 1")."""
        bars = "+".join(str(self.part_bars) for _ in self.written_parts)
        text = f"{self.parts}, {bars}" + ("" if self.pickup else ", no pickup")
        return text + (f", endings {self.endings}" if self.endings else "")

    def closings(self) -> tuple[frozenset[str], ...]:
        """The bar lines that may close each bar: index 0 the pickup, 1..N the bars."""
        parts = self.generated_parts
        out: list[frozenset[str]] = [frozenset()]
        if self.pickup:
            out = [frozenset({"|", "|:"}) if parts[0][1] else _PLAIN]
        for index, (_, repeated) in enumerate(parts):
            last = index == len(parts) - 1
            tune_end = last and not self.returns
            next_repeated = not last and parts[index + 1][1]
            if repeated and self.endings:
                out.extend(_PLAIN for _ in range(self.part_bars - self.endings - 1))
                out.append(_FIRST_ENDING)
                out.extend(_PLAIN for _ in range(self.endings - 1))
                out.append(_SECOND_ENDING)
                out.extend(_PLAIN for _ in range(self.endings - 1))
                # "||:" is not read by every tool (abc2abc drops its repeat): "||", then "|:".
                out.append(_TUNE_END if tune_end else _SECTION_END)
                continue
            out.extend(_PLAIN for _ in range(self.part_bars - 1))
            if tune_end:
                out.append(_REPEAT_END if repeated else _TUNE_END)
            elif repeated:
                out.append(_REPEAT_END_THEN_REPEAT if next_repeated else _REPEAT_END)
            else:
                out.append(_SECTION_END_THEN_REPEAT if next_repeated else _SECTION_END)
        return tuple(out)

    def reopen(self) -> frozenset[int]:
        """The bars after which a bare ``|:`` may open the next part (0: the tune's start)."""
        starts = (0, *self.part_ends())
        parts = self.generated_parts
        return frozenset(starts[i] for i, (_, repeated) in enumerate(parts) if repeated)


def check_form(plan: FormPlan) -> None:
    """ValueError (one line) unless the plan is one the decoder can write."""
    if not _LETTERS_RE.match(plan.parts):
        raise ValueError(
            f"unknown form {plan.parts!r}: use part letters A-F, a letter twice for a repeated "
            "part (AABB, AB, AABBCC, ABB, AABA)"
        )
    letters = [letter for letter, _ in plan.generated_parts]
    if letters != [chr(ord("A") + i) for i in range(len(letters))]:
        raise ValueError(f"form {plan.parts!r}: name the parts A, B, C ... in order")
    written = [letter for letter, _ in plan.written_parts]
    for index, (letter, _) in enumerate(plan.returns, start=len(letters)):
        if letter not in letters or letter == written[index - 1]:
            raise ValueError(
                f"form {plan.parts!r}: a part may come back only after another part, and "
                "no new part after it (AABA, ABA, AABBA)"
            )
    if plan.part_bars not in PART_BARS:
        raise ValueError(f"bars per part must be one of {', '.join(map(str, PART_BARS))}")
    if not 0 <= plan.endings <= plan.part_bars // MAX_ENDING_SHARE:
        raise ValueError(
            f"bars per ending must be between 0 (none) and {plan.part_bars // MAX_ENDING_SHARE}"
        )
    if plan.endings and not any(repeated for _, repeated in plan.generated_parts):
        raise ValueError(f"form {plan.parts!r} has no repeated part to end in two endings")


def parse_form(
    text: str, part_bars: int = 8, pickup: bool = True, endings: int = 0
) -> FormPlan | None:
    """A plan from "AABB" (or "free" / "" -> None); also reads the panel's "AABB, 8+8",
    "AB, 16+16, no pickup", "AABB 8+8 endings 1" and "AABA 8" (commas optional).
    ValueError (one line) for a form the decoder cannot write."""
    words = text.replace(",", " ").split()
    if not words or words[0].lower() == FREE:
        return None
    rest = [word.lower() for word in words[1:]]
    while rest:
        word = rest.pop(0)
        if word == "no" and rest[:1] == ["pickup"]:
            pickup = False
            rest.pop(0)
        elif word in ("ending", "endings"):
            if not rest or not rest[0].isdigit():
                raise ValueError("write the bars of each ending as a number: endings 1")
            endings = int(rest.pop(0))
        else:
            sizes = set(word.split("+"))
            if len(sizes) != 1 or not word.replace("+", "").isdigit():
                raise ValueError(f"unknown part lengths {word!r}: write them like 8+8")
            part_bars = int(sizes.pop())
    plan = FormPlan(words[0].upper(), part_bars, pickup, endings)
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
