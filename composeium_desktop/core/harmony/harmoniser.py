"""The harmoniser: chords for a melody by dynamic programming (Viterbi) over a chord lattice.

0. **Key and mode** (:func:`~composeium_desktop.core.harmony.mode.read_mode`): a K: that names
   no mode is checked against where the tune rests and what its notes lean on (an A
   mixolydian reel written ``K:D`` is harmonised in A mixolydian).
1. **Chord rhythm** (:func:`slot_grid`): the places in a bar where a chord may start, by meter
   (and so genre): reels, hornpipes, polkas and other duple meters two a bar (halves), jigs
   6/8 on the two dotted-quarter beats, slip jigs 9/8 on the three, 12/8 on the four, waltzes
   and 3/4 airs one a bar, 3/2 on the half notes.  A change on a later slot costs more where a
   chord a bar is the usual rhythm (jigs, slip jigs, polkas).  A slot whose window has no note
   starting in it cannot change chord (a chord symbol has to stand before a note); a pickup
   gets none.
2. **Emission**: every note sounding in a slot's window is scored against the chord's tones
   (:func:`chord_fit`: a chord tone scores well, a V's seventh fairly, another note of the
   scale a little badly, a note that contradicts the chord or a chromatic note it does not
   hold badly), weighted by how long it sounds in the window and by its salience
   (:mod:`~composeium_desktop.core.harmony.salience`: the meter's own beat hierarchy, passing
   and neighbour notes discounted, the note on the slot's start counted more); the sum is
   normalised by the window's weight.
3. **Priors** by mode, as session accompanists use the chords (:data:`_PRIORS`): the tonic
   first; in the modes and in minor the flat seventh is its partner and the relative major
   comes less often; minor's major V only where the melody has the raised seventh.
   Transitions have priors by function (V -> I, IV -> V, bVII -> I, ii -> V are favoured;
   V -> IV is not); keeping a chord is cheap, changing it mid-bar costs more.
4. **Cadences**: the last slot of every part (a repeat, ``||``, ``|]``, the tune's end) is
   pulled towards the tonic chord, as is the downbeat of the part's last bar; the end of the
   bar before towards the dominant (V; bVII in the modes without a major V and in minor
   without a leading tone); the tune's first and last chords towards the tonic.
5. **Spelling** (:mod:`~composeium_desktop.core.harmony.chords`): V before I becomes V7; in the
   rich style ii before V becomes ii7 and a chord is put in first inversion where that makes the
   bass move by step between its neighbours.

Everything is deterministic and counted from the notes: the same melody always gets the same
chords, and nothing is learned from a tune book.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from composeium_desktop.core.abcnotation.header import normalise_meter
from composeium_desktop.core.abcnotation.keys import MODE_STEPS, KeySpec, tonic_pc
from composeium_desktop.core.harmony.chords import Chord, vocabulary
from composeium_desktop.core.harmony.mode import read_mode
from composeium_desktop.core.harmony.reading import Melody
from composeium_desktop.core.harmony.salience import BEAT, melodic_factors, metric_weight

_F = Fraction

# Cost of changing chord on a slot after the first of a bar, by meter.
_MID_BAR_CHANGE = {"2/4": 0.6, "6/8": 0.9, "9/8": 1.1, "12/8": 0.5, "3/2": 0.6, "6/4": 0.4}
_DEFAULT_MID_BAR_CHANGE = 0.35
EMISSION_SCALE = 4.0
STAY_BONUS = 0.25
CADENCE_TONIC = 1.6
FINAL_TONIC = 4.0
CADENCE_DOMINANT = 0.5
CADENCE_DOWNBEAT = 0.8
START_TONIC = 1.0
NON_CHORD_TONE = -0.3
CLASH = -0.8
THIRD_FIT = 0.9
FIFTH_FIT = 0.9
SEVENTH_FIT = 0.45
SECONDARY_PRIOR = -1.0
SLOT_START = 1.5
HELD_OVER = 0.8


def slot_grid(meter: str) -> tuple[Fraction, ...]:
    """Where chords may start in a full bar of ``meter``, in whole notes from the bar's start."""
    norm = normalise_meter(meter) if meter else "none"
    if norm in ("C", "4/4", "C|", "2/2", "4/2"):
        return (_F(0), _F(1, 2)) if norm != "4/2" else (_F(0), _F(1))
    grids = {
        "2/4": (_F(0), _F(1, 4)),
        "6/8": (_F(0), _F(3, 8)),
        "9/8": (_F(0), _F(3, 8), _F(6, 8)),
        "12/8": (_F(0), _F(3, 8), _F(6, 8), _F(9, 8)),
        "3/2": (_F(0), _F(1, 2), _F(1)),
        "6/4": (_F(0), _F(3, 4)),
        "3/8": (_F(0),),
        "3/4": (_F(0),),
    }
    if norm in grids:
        return grids[norm]
    if "/" in norm:
        num, den = (int(x) for x in norm.split("/"))
        length = _F(num, den)
        if num % 2 == 0 and num >= 4:
            return (_F(0), length / 2)
        return (_F(0),)
    return (_F(0), _F(1, 2))


@dataclass(frozen=True)
class Slot:
    """One place on the lattice: its window, the bar it is in, its index in the bar, where the
    chord symbol would stand (the first note starting in the window; None: it cannot change),
    and whether it ends a part / the tune."""

    start: Fraction
    end: Fraction
    bar: int
    index: int
    symbol_at: Fraction | None
    part_end: bool
    tune_end: bool


@dataclass(frozen=True)
class ChordChoice:
    """A chord chosen at a slot: the chord, where its symbol stands (onset in whole notes), and
    the key it is a chord of (the key :func:`~composeium_desktop.core.harmony.mode.read_mode`
    heard; its name is spelled in it)."""

    onset: Fraction
    chord: Chord
    slot: Slot
    key: KeySpec


def slots_of(melody: Melody) -> list[Slot]:
    """The lattice's slots for ``melody`` (see the module docstring)."""
    slots: list[Slot] = []
    onsets = sorted({n.onset for n in melody.notes if n.pitches})
    import bisect

    for bar in melody.bars:
        if bar.pickup and bar.expected is not None and bar.length < bar.expected / 2:
            continue  # a short pickup gets no chord
        offset = melody.bar_offset(bar)
        grid = [p - offset for p in slot_grid(bar.meter)]
        inside = [p for p in grid if _F(0) <= p < bar.length]
        if not inside or inside[0] > 0:
            inside = [_F(0), *inside]
        for k, pos in enumerate(inside):
            start = bar.start + pos
            end = bar.start + (inside[k + 1] if k + 1 < len(inside) else bar.length)
            i = bisect.bisect_left(onsets, start)
            at = onsets[i] if i < len(onsets) and onsets[i] < end else None
            last = k == len(inside) - 1
            slots.append(Slot(start, end, bar.index, k, at, bar.part_end and last, False))
    if slots:
        s = slots[-1]
        slots[-1] = Slot(s.start, s.end, s.bar, s.index, s.symbol_at, True, True)
    return slots


def chord_fit(chord: Chord, scale: tuple[int, ...]) -> dict[int, float]:
    """How well a melody note fits ``chord``, by its pitch class counted from the tonic: a
    chord tone well (the root a little better), a V's seventh fairly (the accompanist plays
    V7 at will), any other note of the ``scale`` a little badly, and a note that contradicts
    a chord tone (the other third, the flat fifth, the flat ninth) or a chromatic note the
    chord does not hold (the G sharp of an E7 in D) badly."""
    tones = chord.tones
    fit = {pc: NON_CHORD_TONE if pc in scale else CLASH for pc in range(12)}
    root = tones[0]
    third = tones[1] - root
    for clash in (root + 1, root + (7 - third), root + 6):
        fit[clash % 12] = CLASH
    fit[root] = 1.0
    fit[tones[1]] = THIRD_FIT
    fit[tones[2]] = FIFTH_FIT
    if len(tones) > 3:
        fit[tones[3]] = SEVENTH_FIT
    elif chord.numeral == "V":
        fit[(root + 10) % 12] = SEVENTH_FIT
    return fit


def _note_weights(melody: Melody) -> list[float]:
    """Each note's weight for the chord (metric weight times melodic factor; see
    :mod:`~composeium_desktop.core.harmony.salience`), rests included (weight 0)."""
    bars = melody.bars
    notes = list(melody.notes)
    metric: list[float] = []
    for note in notes:
        bar = bars[note.bar] if note.bar < len(bars) else bars[-1]
        pos = note.onset - bar.start + melody.bar_offset(bar)
        metric.append(metric_weight(pos, bar.meter or melody.meter))
    factors = melodic_factors(notes, [w >= BEAT for w in metric])
    return [m * f if n.pitches else 0.0 for m, f, n in zip(metric, factors, notes, strict=True)]


def _emissions(melody: Melody, slots: list[Slot], chords: tuple[Chord, ...]) -> list[list[float]]:
    tonic = tonic_pc(melody.key.tonic)
    notes = list(melody.notes)
    weights = _note_weights(melody)
    scale = MODE_STEPS.get(melody.key.mode, MODE_STEPS["major"])
    fits = [chord_fit(chord, scale) for chord in chords]
    out: list[list[float]] = []
    j = 0
    for slot in slots:
        while j < len(notes) and notes[j].onset + notes[j].duration <= slot.start:
            j += 1
        scores = [0.0] * len(chords)
        total = 0.0
        k = j
        while k < len(notes) and notes[k].onset < slot.end:
            note, base = notes[k], weights[k]
            k += 1
            overlap = min(note.onset + note.duration, slot.end) - max(note.onset, slot.start)
            if overlap <= 0 or not note.pitches:
                continue
            if note.onset >= slot.start:
                weight = base * (SLOT_START if note.onset == slot.start else 1.0)
            else:
                weight = HELD_OVER  # sounding on from before the window
            w = weight * float(overlap) * 8.0
            total += w
            for pitch in note.pitches:
                pc = (pitch - tonic) % 12
                for c, fit in enumerate(fits):
                    scores[c] += w * fit[pc] / len(note.pitches)
        if total > 0:
            scores = [EMISSION_SCALE * s / total for s in scores]
        out.append(scores)
    return out


# How often a session accompanist reaches for each chord of a mode, as a prior (the tonic 0).
# In the modes and in minor the tonic is a drone the tune keeps coming back to and the flat
# seventh is its partner; the relative major, the major IV of dorian and the minor keys' V
# (which needs the raised leading tone in the melody) come less often.
_PRIORS: dict[str, dict[str, float]] = {
    "major": {
        "IV": -0.25,
        "V": -0.25,
        "vi": -0.7,
        "ii": -0.9,
        "iii": -1.3,
        "V/V": -1.0,
        "V/vi": -1.2,
        "V/ii": -1.2,
    },
    "minor": {"bVII": -0.25, "bIII": -0.5, "bVI": -0.6, "iv": -0.7, "V": -0.7, "v": -1.0},
    "dorian": {"bVII": -0.25, "bIII": -0.6, "IV": -0.6, "v": -1.0, "ii": -1.2},
    "mixolydian": {"bVII": -0.25, "IV": -0.35, "v": -1.0, "ii": -1.1, "vi": -1.1},
}
# Minor's major V where the melody never has the raised seventh: it would clash with it.
NO_LEADING_TONE_V = -1.5
_GOOD_MOVES = {
    ("V", "I"): 0.35,
    ("V", "i"): 0.35,
    ("IV", "V"): 0.15,
    ("bVII", "I"): 0.3,
    ("bVII", "i"): 0.25,
    ("ii", "V"): 0.35,
    ("V/V", "V"): 0.4,
    ("V/vi", "vi"): 0.4,
    ("V/ii", "ii"): 0.4,
    ("vi", "ii"): 0.15,
    ("vi", "IV"): 0.1,
    ("IV", "I"): 0.15,
    ("iv", "i"): 0.1,
    ("I", "IV"): 0.1,
    ("i", "bVII"): 0.1,
    ("bVI", "bVII"): 0.2,
    ("bIII", "bVII"): 0.1,
    ("v", "I"): 0.15,
    ("iii", "vi"): 0.1,
    ("V", "IV"): -0.3,
    ("V", "ii"): -0.3,
    ("V", "vi"): -0.1,
}


def _prior(chord: Chord, mode: str, index: int, leading_tone: bool) -> float:
    if index == 0:
        return 0.0
    if mode == "minor" and chord.numeral == "V" and not leading_tone:
        return NO_LEADING_TONE_V
    return _PRIORS.get(mode, _PRIORS["major"]).get(chord.numeral, SECONDARY_PRIOR)


def harmonise_melody(melody: Melody, style: str = "simple") -> list[ChordChoice]:
    """The chord at every slot of ``melody`` (one :class:`ChordChoice` per slot that has a
    chord), chosen by Viterbi; see the module docstring.  A tune whose body changes key (a
    K: field) is harmonised a stretch at a time, each in its own key."""
    slots = slots_of(melody)
    choices: list[ChordChoice] = []
    for start, end, written in melody.key_spans():
        span = [slot for slot in slots if start <= slot.start < end]
        if not span:
            continue
        notes = tuple(n for n in melody.notes if start <= n.onset < end)
        part = replace(melody, key=written, notes=notes)
        choices += _spell(_viterbi(part, span, style), style)
    return choices


def _viterbi(melody: Melody, slots: list[Slot], style: str) -> list[ChordChoice]:
    """The best path of chords over ``slots`` (one stretch of ``melody`` in one key)."""
    key = read_mode(melody)
    if key != melody.key:
        melody = replace(melody, key=key)
    chords = vocabulary(key.mode, style)
    mode = melody.key.mode
    emissions = _emissions(melody, slots, chords)
    n = len(chords)
    tonic = tonic_pc(melody.key.tonic)
    leading_tone = any((p - tonic) % 12 == 11 for note in melody.notes for p in note.pitches)
    dominants = {c for c, ch in enumerate(chords) if ch.numeral in ("V", "bVII")}
    if mode == "major" or (mode == "minor" and leading_tone):
        dominants = {c for c, ch in enumerate(chords) if ch.numeral == "V"} or dominants
    priors = [_prior(ch, mode, c, leading_tone) for c, ch in enumerate(chords)]
    move = [[_GOOD_MOVES.get((a.numeral, b.numeral), 0.0) for b in chords] for a in chords]
    mid_change = _MID_BAR_CHANGE.get(normalise_meter(melody.meter), _DEFAULT_MID_BAR_CHANGE)

    final_bars = {slot.bar for slot in slots if slot.part_end}
    before_final = {
        t
        for t in range(len(slots) - 1)
        if slots[t + 1].bar in final_bars and slots[t].bar not in final_bars
    }

    def local(t: int, c: int) -> float:
        slot = slots[t]
        score = emissions[t][c] + priors[c]
        if slot.part_end and c == 0:
            score += FINAL_TONIC if slot.tune_end else CADENCE_TONIC
        elif slot.bar in final_bars and slot.index == 0 and c == 0:
            score += CADENCE_DOWNBEAT  # the tonic arrives on the last bar's downbeat
        if t in before_final and c in dominants:
            score += CADENCE_DOMINANT
        if t == 0 and c == 0:
            score += START_TONIC
        return score

    score = [local(0, c) for c in range(n)]
    back: list[list[int]] = []
    for t in range(1, len(slots)):
        slot = slots[t]
        new_part = slots[t - 1].part_end
        row: list[int] = []
        new_score: list[float] = []
        for c in range(n):
            best, arg = float("-inf"), 0
            for p in range(n):
                if p == c:
                    trans = STAY_BONUS
                elif slot.symbol_at is None:
                    continue
                else:
                    trans = move[p][c] - (mid_change if slot.index > 0 else 0.0)
                if new_part and c == 0:
                    trans += 0.3
                value = score[p] + trans
                if value > best:
                    best, arg = value, p
            row.append(arg)
            new_score.append(best + local(t, c))
        back.append(row)
        score = new_score
    c = max(range(n), key=lambda k: (score[k], -k))
    path = [c]
    for row in reversed(back):
        c = row[c]
        path.append(c)
    path.reverse()
    choices: list[ChordChoice] = []
    for t, c in enumerate(path):
        slot = slots[t]
        at = slot.symbol_at if slot.symbol_at is not None else slot.start
        choices.append(ChordChoice(at, chords[c], slot, key))
    return choices


def _spell(choices: list[ChordChoice], style: str) -> list[ChordChoice]:
    """Sevenths and inversions (see the module docstring, point 5)."""
    out = list(choices)
    for t, choice in enumerate(out):
        nxt = out[t + 1].chord if t + 1 < len(out) else None
        chord = choice.chord
        if nxt is None or nxt.numeral == chord.numeral:
            continue
        if chord.numeral == "V" and nxt.offset == 0:
            out[t] = ChordChoice(choice.onset, chord.with_quality("7"), choice.slot, choice.key)
        elif style == "rich" and chord.numeral == "ii" and nxt.numeral == "V":
            out[t] = ChordChoice(choice.onset, chord.with_quality("m7"), choice.slot, choice.key)
    for t in range(len(out) - 2, -1, -1):  # the whole run of a chord that became a seventh
        here, after = out[t].chord, out[t + 1].chord
        if here.numeral == after.numeral and here.quality != after.quality:
            out[t] = ChordChoice(out[t].onset, after, out[t].slot, out[t].key)
    if style != "rich":
        return out
    # First inversions where the bass then moves by step between different neighbours.
    changes = [t for t in range(len(out)) if t == 0 or out[t].chord != out[t - 1].chord]
    for a, b, c in zip(changes, changes[1:], changes[2:], strict=False):
        prev, chord, nxt = out[a].chord, out[b].chord, out[c].chord
        if chord.numeral in ("I", "i") and out[b].slot.part_end:
            continue
        third = QUALITY_THIRD[chord.quality]
        root_bass, inv_bass = chord.offset % 12, (chord.offset + third) % 12
        p_bass, n_bass = (prev.offset + prev.bass) % 12, (nxt.offset + nxt.bass) % 12

        def step(x: int, y: int) -> int:
            up = (y - x) % 12
            return up if up in (1, 2) else -((x - y) % 12) if (x - y) % 12 in (1, 2) else 0

        passing = step(p_bass, inv_bass) * step(inv_bass, n_bass) > 0
        if passing and not step(p_bass, root_bass) * step(root_bass, n_bass) > 0:
            for t in range(b, c):
                out[t] = ChordChoice(out[t].onset, chord.with_bass(third), out[t].slot, out[t].key)
    return out


QUALITY_THIRD = {"": 4, "7": 4, "m": 3, "m7": 3, "dim": 3}
