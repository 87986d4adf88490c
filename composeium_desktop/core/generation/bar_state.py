"""The time side of constrained decoding: note lengths on the grid, the bar lines, and
``BarState``, which knows how much of the current bar is filled (tuplets and broken rhythm
included), whether a note of a given length still fits, and which bar lines may close the bar
(the meter's length, a pickup and the section end that completes it, endings, "|]" only after
``min_bars`` bars). ``constraints.BodyState`` builds the body's element grammar on it.
"""

from __future__ import annotations

from fractions import Fraction

BAR_LINES = frozenset(
    {"|", "||", "|]", "[|", "|:", ":|", "::", ":|:", ":||", ":||:", "|1", "|2", ":|1", ":|2", "||:"}
)
SECTION_END = frozenset({"||", "|]", ":|", "::", ":|:", ":||", ":||:", ":|1", ":|2"})
SECTION_START = frozenset({"|:", "[|", "||:"})
FINAL_BAR_LINES = frozenset({"|]", ":|", "||", ":||"})
ENDING_BAR_LINES = frozenset({"|1", "|2", ":|1", ":|2"})
BAR_PREFIXES = frozenset(p[:i] for p in BAR_LINES for i in range(1, len(p) + 1))

TUPLETS = {2: Fraction(3, 2), 3: Fraction(2, 3), 4: Fraction(3, 4)}
TRAIN_UNIT = Fraction(1, 8)
# Every note length is a multiple of GRID (a 32nd note at L:1/8), so any room left in a bar can
# always be filled ("z//" is one GRID), and lengths are spelled one of a few usual ways.
GRID = Fraction(1, 4)


def _length_spellings() -> dict[str, Fraction]:
    spellings: dict[str, Fraction] = {}
    for head in ["", *(str(n) for n in range(1, 17))]:
        base = Fraction(int(head) if head else 1)
        for tail, divisor in (
            ("", 1),
            ("/", 2),
            ("//", 4),
            ("///", 8),
            ("/2", 2),
            ("/4", 4),
            ("/8", 8),
        ):
            value = base / divisor
            if value % GRID == 0:
                spellings[head + tail] = value
    return spellings


LENGTHS = _length_spellings()
"""Allowed note-length suffixes and their lengths in units of L."""
REACHABLE_LENGTHS: dict[str, set[Fraction]] = {}
"""For each beginning of a length suffix ("", "3", "3/" ...), the lengths it may still become."""
for _text, _value in LENGTHS.items():
    for _i in range(len(_text) + 1):
        REACHABLE_LENGTHS.setdefault(_text[:_i], set()).add(_value)
MIN_LENGTH = {prefix: min(values) for prefix, values in REACHABLE_LENGTHS.items()}


def bar_units(meter: str, unit: Fraction = TRAIN_UNIT) -> Fraction:
    """The length of a full bar of `meter` ("6/8", "C", "C|") in units of `unit`."""
    meter = {"C": "4/4", "C|": "2/2"}.get(meter.strip(), meter.strip())
    num, _, den = meter.partition("/")
    return Fraction(int(num), int(den)) / unit


class BarState:
    """Where the body stands in time (unit L:1/8): the position in the current bar, the bars
    written, the bar line being read, and the tuplet or broken rhythm scaling the next notes.

    ``mode`` is the body reader's current element ("top", "note", "bar" ...); the element
    grammar itself is ``constraints.BodyState``.
    """

    def __init__(self, meter: str = "4/4") -> None:
        self.bar_len = bar_units(meter)
        self.mode = "top"
        self.pos = Fraction(0)
        self.bar_has_notes = False
        self.bars_done = 0
        self.pickup: Fraction | None = None
        self.lexeme = ""
        self.last_bar = ""
        self.slur_depth = 0
        self.tuplet_left = 0
        self.tuplet_factor = Fraction(1)
        self.broken = ""
        self.next_factor = Fraction(1)
        self.last_dur = Fraction(0)
        self.pair_len = Fraction(0)
        self.after_note = False
        self.finishing = False
        self.ending_ok = True
        self.chars = 0
        self.bar_end_at = 0
        self.strict_bar = False
        self.min_bars = 0
        # A form plan (``form_plan.FormPlan.closings``): the bar lines that may close each bar
        # as a musician counts it (0 the pickup), and the bars after which a bare "|:" may open
        # the next part; None for a free form.
        self.closings: tuple[frozenset[str], ...] | None = None
        self.reopen: frozenset[int] = frozenset()
        # Under a plan with first and second endings (or parts written out again) every bar is
        # full: the pickup's notes are written again at the end of a part, not left to
        # complete a short bar.
        self.full_bars = False

    @property
    def remaining(self) -> Fraction:
        """Room left in the current bar, in units of L:1/8 (pending note not counted)."""
        return self.bar_len - self.pos

    @property
    def form_bars(self) -> int:
        """Bars completed as a musician counts them (a pickup is not a bar)."""
        return self.bars_done - (self.pickup is not None)

    @property
    def at_bar_start(self) -> bool:
        return self.mode == "top" and not self.bar_has_notes and self.pos == 0

    # Notes in the bar.

    def _fits(self, length: Fraction) -> bool:
        """Can a note of `length` (and the rest of an open tuplet) still fit in the bar?"""
        if self.tuplet_left == 0 and self.next_factor == 1:
            return self.pos + length <= self.bar_len
        need = length * self.tuplet_factor * self.next_factor
        if self.tuplet_left > 1:
            # Leave room for the rest of the tuplet, up to a whole unit for its last note.
            need += (self.tuplet_left + 2) * GRID * self.tuplet_factor
        return self.pos + need <= self.bar_len

    def _advance(self, length: Fraction) -> bool:
        """A finished note of written `length` takes its time; False when it leaves the bar
        off the grid or breaks a broken-rhythm pair."""
        if self.tuplet_left == 0 and self.next_factor == 1:
            # A plain note: lengths are on the grid, so the position stays on it.
            self.pos += length
            self.last_dur = length
            return True
        if self.next_factor != 1 and length != self.pair_len:
            return False
        # Only a plain note may start a broken pair.
        self.last_dur = Fraction(0)
        self.pos += length * self.tuplet_factor * self.next_factor
        self.next_factor = Fraction(1)
        if self.tuplet_left:
            self.tuplet_left -= 1
            if self.tuplet_left:
                return True
            self.tuplet_factor = Fraction(1)
        return self.pos % GRID == 0

    def _start_tuplet(self, p: int) -> bool:
        """A tuplet marker "(p": the next p notes share the time of a tuplet."""
        if p not in TUPLETS or self.tuplet_left:
            return False
        factor = TUPLETS[p]
        # The tuplet needs room for p notes of at least a sixteenth each.
        if self.remaining < factor * (p + 3) * GRID:
            return False
        self.tuplet_left = p
        self.tuplet_factor = factor
        self.mode = "tuplet_wait"
        return True

    # Broken rhythm.

    def _broken_factors(self) -> tuple[Fraction, Fraction]:
        """(factor of the previous note, factor of the next) for the pending > >> < <<."""
        short = Fraction(1, 2 ** len(self.broken))
        if self.broken[0] == ">":
            return 2 - short, short
        return short, 2 - short

    def _broken_fits(self) -> bool:
        """Broken rhythm pairs two notes of one written length: room for the second?"""
        return self.last_dur > 0 and self.remaining >= self.last_dur

    def _finish_broken(self) -> bool:
        prev, nxt = self._broken_factors()
        self.pair_len = self.last_dur
        self.pos += self.last_dur * (prev - 1)
        self.next_factor = nxt
        self.mode = "top"
        return True

    # Bar lines.

    def _start_bar(self, c: str) -> bool:
        if self.slur_depth or self.tuplet_left or self.next_factor != 1:
            return False
        self.lexeme = ""
        self.strict_bar = self.finishing
        return self._continue_bar(c)

    def _continue_bar(self, c: str) -> bool:
        self.lexeme += c
        if self.lexeme not in BAR_PREFIXES:
            return False
        self.mode = "bar"
        return self._bar_may_close()

    def _bar_may_close(self) -> bool:
        """Early pruning: can some bar line starting like this one close the current bar?"""
        return any(
            bar_allowed(self, lexeme) for lexeme in BAR_LINES if lexeme.startswith(self.lexeme)
        )

    def _finish_bar(self) -> bool:
        lexeme = self.lexeme
        if not bar_allowed(self, lexeme):
            return False
        self.mode = "top"
        self.lexeme = ""
        if self.bar_has_notes:
            if self.bars_done == 0 and self.pos < self.bar_len:
                self.pickup = self.pos
            self.bars_done += 1
        self.last_bar = lexeme
        self.bar_end_at = self.chars
        self.pos = Fraction(0)
        self.bar_has_notes = False
        self.ending_ok = lexeme not in ENDING_BAR_LINES
        self.after_note = False
        return True


def bar_allowed(state: BarState, lexeme: str) -> bool:
    """May `lexeme` close the state's current bar? (Pure: the state is not changed.)"""
    if lexeme not in BAR_LINES:
        return False
    # A bar line begun before the finishing phase may complete as it started.
    strict = state.strict_bar if state.mode == "bar" else state.finishing
    if strict and state.closings is None and lexeme not in FINAL_BAR_LINES:
        return False
    if state.closings is not None:
        return _plan_allows(state, lexeme)
    if lexeme == "|]" and not strict and state.bars_done + 1 < state.min_bars:
        return False  # "|]" ends the tune: not before min_bars bars
    if not state.bar_has_notes:
        # A bar line with nothing before it: at the very start ("|:"), or a section start
        # right after a plain section end (":| |:").
        if state.bars_done == 0 and not state.last_bar:
            return lexeme in SECTION_START
        return lexeme == "|:" and state.last_bar in (":|", ":||")
    if state.pos == state.bar_len or state.bars_done == 0:
        return True
    return (
        lexeme in SECTION_END
        and state.pickup is not None
        and state.pos + state.pickup == state.bar_len
    )


def _plan_allows(state: BarState, lexeme: str) -> bool:
    """``bar_allowed`` under a form plan: the plan says which bar line closes each bar."""
    closings = state.closings
    assert closings is not None
    if not state.bar_has_notes:
        if state.bars_done == 0 and not state.last_bar:
            return lexeme == "|:" and 0 in state.reopen
        after_part = state.last_bar in (":|", "||") and state.form_bars in state.reopen
        return lexeme == "|:" and after_part
    if state.bars_done == 0 and state.pos < state.bar_len:
        return lexeme in closings[0]  # a pickup; closings[0] is empty when none is allowed
    bar = state.form_bars + 1
    if bar >= len(closings) or lexeme not in closings[bar]:
        return False
    if state.pos == state.bar_len:
        return True
    pickup = state.pickup
    if state.full_bars or pickup is None:
        return False
    return lexeme in SECTION_END and state.pos + pickup == state.bar_len
