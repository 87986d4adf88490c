"""The band behind the melody: bass and chord notes from a tune's chord symbols.

The chord symbols are read from the text (:mod:`~composeium_desktop.core.harmony.reading`);
each is tied to the note it stands before, and the :class:`~composeium_desktop.core.render.Performance`
says every time that note sounds (repeats and endings expanded, transposition applied), so the
chords follow the melody's playing order.  The accompaniment pattern is abc2midi's ``gchord``
string, one step per equal part of a bar: ``f`` the chord's bass note (root, or the slash bass),
``c`` the chord, ``b`` both, ``z`` rest, a digit after a letter lengthens it.  Defaults by meter
are oom-pah for reels, hornpipes and polkas (``fzczfzcz`` in 4/4, ``fc`` in 2/4), oom-pah-pah
for waltzes (``fcc``) and the jig pattern (``fzcfzc`` in 6/8, ``fzcfzcfzc`` in 9/8).  A tune's
``%%MIDI gchord``, ``chordprog``, ``bassprog``, ``gchordon`` / ``gchordoff`` are honoured
(the last one before the body wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import parse_tune
from composeium_desktop.core.harmony.chords import chord_symbol_pcs
from composeium_desktop.core.harmony.reading import read_melody

DEFAULT_CHORD_PROGRAM = 24  # nylon-string guitar (21 is the accordion)
DEFAULT_BASS_PROGRAM = 32  # acoustic bass
CHORD_CHANNEL = 1
BASS_CHANNEL = 2
DEFAULT_PATTERNS = {
    (4, 4): "fzczfzcz",
    (2, 2): "fzczfzcz",
    (2, 4): "fzcz",
    (3, 4): "fcc",
    (3, 8): "fcc",
    (6, 8): "fzcfzc",
    (9, 8): "fzcfzcfzc",
    (12, 8): "fzcfzcfzcfzc",
    (3, 2): "fcc",
    (6, 4): "fzcfzc",
}
_MIDI_RE = re.compile(r"^%%MIDI\s+(\w+)\s*(.*?)\s*$", re.MULTILINE)
_STEP_RE = re.compile(r"([fcbz])(\d*)")


@dataclass(frozen=True)
class BackingNote:
    """A note of the band: times in ms at the performance's tempo, MIDI pitch, velocity, and
    the part (``"bass"`` or ``"chords"``)."""

    on_ms: float
    off_ms: float
    pitch: int
    velocity: int
    part: str


@dataclass(frozen=True)
class BackingSettings:
    """What the tune's ``%%MIDI`` lines say (or the defaults)."""

    enabled: bool = True
    pattern: str | None = None
    chord_program: int = DEFAULT_CHORD_PROGRAM
    bass_program: int = DEFAULT_BASS_PROGRAM


def midi_directives(text: str, settings: BackingSettings | None = None) -> BackingSettings:
    """The backing settings of a tune's ``%%MIDI`` lines (header and body, last one wins),
    starting from ``settings`` (the user's programs)."""
    s = settings or BackingSettings()
    enabled, pattern, chord_program, bass_program = (
        s.enabled,
        s.pattern,
        s.chord_program,
        s.bass_program,
    )
    for name, value in _MIDI_RE.findall(text):
        name = name.lower()
        first = value.split()[0] if value.split() else ""
        if name == "gchordoff":
            enabled = False
        elif name == "gchordon":
            enabled = True
        elif name == "gchord" and _STEP_RE.match(first):
            pattern = first
        elif name in ("chordprog", "bassprog") and first.isdigit() and int(first) <= 127:
            if name == "chordprog":
                chord_program = int(first)
            else:
                bass_program = int(first)
    return BackingSettings(enabled, pattern, chord_program, bass_program)


MAX_BACKING_BARS = 5000


def _steps(pattern: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2) or 1)) for m in _STEP_RE.finditer(pattern)]


def _voicing(root: int, tones: tuple[int, ...], bass: int, transpose: int) -> tuple[int, list[int]]:
    """The bass note (E1-D#2 .. around MIDI 40-51) and a close chord voicing above G3."""
    bass_pitch = 40 + (bass + transpose - 4) % 12
    chord = sorted(55 + (t + transpose - 7) % 12 for t in tones[:4])
    return bass_pitch, chord


def backing_notes(
    abc: str,
    performance: object,
    transpose: int = 0,
    settings: BackingSettings | None = None,
) -> tuple[tuple[BackingNote, ...], BackingSettings]:
    """The bass and chord notes for the first tune of ``abc`` as ``performance`` plays it
    (a :class:`~composeium_desktop.core.render.Performance` of the same text), and the
    settings used.  A tune without chord symbols, or with ``%%MIDI gchordoff``, gets none."""
    from composeium_desktop.core.render.scan import first_tune

    text = first_tune(abc)
    used = midi_directives(text, settings)
    if not used.enabled or '"' not in text:
        return (), used
    try:
        tune = parse_tune(text)
        melody = read_melody(tune)
    except ABCError:
        return (), used
    symbols = []
    for symbol in melody.symbols:
        pcs = chord_symbol_pcs(symbol.text)
        if pcs is not None:
            symbols.append(((symbol.line + tune.body_line - 1, symbol.col), pcs))
    positions: dict[str, tuple[int, int]] = getattr(performance, "positions", {}) or {}
    if not symbols or not positions:
        return (), used
    ordered = sorted((pos, eid) for eid, pos in positions.items())
    anchor: dict[str, tuple[int, tuple[int, ...], int]] = {}
    for pos, pcs in symbols:
        nxt = next((eid for p, eid in ordered if p >= pos), None)
        if nxt is not None:
            anchor[nxt] = pcs  # a later symbol before the same note wins
    # Chord changes in playing order: (ms, chord).
    changes: list[tuple[float, tuple[int, tuple[int, ...], int]]] = []
    for element in performance.timemap:  # type: ignore[attr-defined]
        if element.id in anchor:
            changes.append((element.on_ms, anchor[element.id]))
    if not changes:
        return (), used
    meter = performance.meter or (4, 4)  # type: ignore[attr-defined]
    pattern = used.pattern or DEFAULT_PATTERNS.get(tuple(meter), "fzcz" if meter[0] % 2 else "fc")
    steps = _steps(pattern)
    units = sum(n for _, n in steps)
    bpm = float(performance.bpm)  # type: ignore[attr-defined]
    if not bpm > 0 or not meter[0] > 0 or not meter[1] > 0:
        return (), used
    quarter_ms = 60000.0 / bpm
    bar_ms = meter[0] * 4.0 / meter[1] * quarter_ms
    first_bar = melody.bars[0] if melody.bars else None
    pickup_ms = 0.0
    if first_bar is not None and first_bar.pickup and first_bar.expected:
        pickup_ms = float(first_bar.expected - first_bar.length) * 4 * quarter_ms
    end_ms = float(performance.duration_ms)  # type: ignore[attr-defined]
    # A meter or pattern that gives no time (a mistyped M: field) or more bars than any tune
    # has gets no backing rather than an endless one.
    if units < 1 or not bar_ms > 1.0 or end_ms / bar_ms > MAX_BACKING_BARS:
        return (), used
    notes: list[BackingNote] = []
    step_ms = bar_ms / units
    bar_start = -pickup_ms
    k = 0
    while bar_start < end_ms:
        at = bar_start
        for letter, length in steps:
            on, off = at, min(at + step_ms * length, end_ms)
            at += step_ms * length
            if letter == "z" or on < changes[0][0] - 1.0 or on >= end_ms:
                continue
            current = changes[0][1]
            for ms, chord in changes:
                if ms <= on + 1.0:
                    current = chord
                else:
                    break
            root, tones, bass = current
            bass_pitch, chord_pitches = _voicing(root, tones, bass, transpose)
            gap = min(30.0, (off - on) * 0.1)
            if letter in "fb":
                notes.append(BackingNote(on, off - gap, bass_pitch, 88, "bass"))
            if letter in "cb":
                for pitch in chord_pitches:
                    notes.append(BackingNote(on, off - gap, pitch, 62, "chords"))
        k += 1
        bar_start = -pickup_ms + k * bar_ms
    return tuple(notes), used
