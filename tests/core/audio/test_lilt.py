"""The lilt, measured in the exported MIDI file (read back with mido): swing by genre and by the
control, broken rhythms at 3:1 or at %%MIDI ratio and never swung twice, beat accents by meter,
rolls and grace notes heard, and every bar as long as written."""

from __future__ import annotations

from pathlib import Path
from statistics import median

import mido
import pytest

from composeium_desktop.core import export
from composeium_desktop.core.audio.lilt import Lilt, parse_swing
from composeium_desktop.core.render import Renderer

HEAD = "X:1\nT:Lilt\n{r}M:{m}\nL:1/8\nQ:1/4=120\nK:D\n"
# Bars of plain eighths (at 120 bpm an eighth is 250 ms when straight), in four different bars.
EIGHTHS_44 = "FAdA FAdA|GBdB GBdB|AFDF AFDF|GEFD E2D2|]\n"
HORNPIPE = HEAD.format(r="R:hornpipe\n", m="4/4") + EIGHTHS_44
REEL = HEAD.format(r="R:reel\n", m="4/4") + EIGHTHS_44
JIG = HEAD.format(r="R:jig\n", m="6/8") + "FAd FAd|GBd GBd|AFD AFD|GEF D3|]\n"
TICKS = 480  # per quarter


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def _notes(renderer: Renderer, abc: str, tmp: Path, lilt: Lilt | None = None) -> list[tuple]:
    """(onset tick, offset tick, pitch, velocity) of the melody in the exported MIDI file."""
    path = export.export_midi(abc, tmp / "lilt.mid", renderer=renderer, lilt=lilt).path
    track = mido.MidiFile(str(path)).tracks[1]
    now, sounding, notes = 0, {}, []
    for message in track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[message.note] = (now, message.velocity)
        elif message.type in ("note_on", "note_off") and message.note in sounding:
            on, velocity = sounding.pop(message.note)
            notes.append((on, now, message.note, velocity))
    return sorted(notes)


def _length_s(renderer: Renderer, abc: str, tmp: Path, lilt: Lilt | None = None) -> float:
    path = export.export_midi(abc, tmp / "len.mid", renderer=renderer, lilt=lilt).path
    return mido.MidiFile(str(path)).length


def _pair_ratios(notes: list[tuple], beat: int = TICKS) -> list[float]:
    """Long:short of every beat played as two notes (one onset on the beat, one inside it)."""
    ons = sorted({n[0] for n in notes})
    ratios = []
    for start in range(0, ons[-1] + 1, beat):
        inside = [t for t in ons if start < t < start + beat]
        if start in ons and len(inside) == 1:
            ratios.append((inside[0] - start) / (start + beat - inside[0]))
    return ratios


def test_hornpipe_eighths_are_played_dotted_two_to_one(renderer, tmp_path):
    ratios = _pair_ratios(_notes(renderer, HORNPIPE, tmp_path))
    assert len(ratios) >= 12
    assert median(ratios) == pytest.approx(2.0, abs=0.02)
    assert min(ratios) == pytest.approx(2.0, abs=0.02)


def test_a_reel_is_swung_lightly(renderer, tmp_path):
    ratios = _pair_ratios(_notes(renderer, REEL, tmp_path))
    assert len(ratios) >= 12
    assert 1.1 <= median(ratios) <= 1.3  # 6:5


def test_swing_zero_plays_straight_and_the_control_overrides_the_genre(renderer, tmp_path):
    straight = _pair_ratios(_notes(renderer, HORNPIPE, tmp_path, Lilt(swing=0)))
    assert straight and all(r == pytest.approx(1.0, abs=0.01) for r in straight)
    dotted_reel = _pair_ratios(_notes(renderer, REEL, tmp_path, Lilt(swing=parse_swing("3:1"))))
    assert median(dotted_reel) == pytest.approx(3.0, abs=0.03)
    untitled = HEAD.format(r="", m="4/4") + EIGHTHS_44  # no R: field: no genre, no swing
    assert median(_pair_ratios(_notes(renderer, untitled, tmp_path))) == pytest.approx(
        1.0, abs=0.01
    )


def test_a_jig_plays_its_groups_long_short_medium(renderer, tmp_path):
    notes = _notes(renderer, JIG, tmp_path)
    dotted_quarter = 3 * TICKS // 2
    groups = [n[0] for n in notes if n[0] % dotted_quarter == 0][:6]
    for start in groups[:-1]:
        lengths = [n[1] - n[0] for n in notes if start <= n[0] < start + dotted_quarter]
        if len(lengths) == 3:
            assert lengths[0] > lengths[2] > lengths[1]  # 6:4:5
    straight = _notes(renderer, JIG, tmp_path, Lilt(swing=0))
    assert {n[1] - n[0] for n in straight[:6]} == {TICKS // 2}


def test_every_bar_keeps_its_length_under_swing(renderer, tmp_path):
    for tune in (HORNPIPE, JIG):
        swung = _notes(renderer, tune, tmp_path)
        straight = _notes(renderer, tune, tmp_path, Lilt(swing=0))
        bar = 4 * TICKS if "4/4" in tune else 3 * TICKS
        downbeats = sorted({n[0] for n in swung if n[0] % bar == 0})
        assert downbeats == sorted({n[0] for n in straight if n[0] % bar == 0})
        assert len(downbeats) == 4
        # Every beat starts on time; only the notes inside a beat move.
        beat = TICKS if "4/4" in tune else 3 * TICKS // 2
        assert {n[0] for n in swung if n[0] % beat == 0} == {
            n[0] for n in straight if n[0] % beat == 0
        }
        assert _length_s(renderer, tune, tmp_path) == _length_s(
            renderer, tune, tmp_path, Lilt(swing=0)
        )


@pytest.mark.parametrize("genre", ["", "R:hornpipe\n"])
def test_broken_rhythm_is_three_to_one_and_never_swung_twice(renderer, tmp_path, genre):
    tune = HEAD.format(r=genre, m="4/4") + "A>B c<d A2>B2 A2 B2|]\n"
    notes = _notes(renderer, tune, tmp_path)
    lengths = [n[1] - n[0] for n in notes[:6]]
    # A2>B2: the B starts on an off-beat eighth, where a hornpipe would otherwise swing it.
    assert lengths == [360, 120, 120, 360, 720, 240]


def test_midi_ratio_sets_the_broken_rhythm_as_abc2midi_reads_it(renderer, tmp_path):
    tune = HEAD.format(r="%%MIDI ratio 2 1\n", m="4/4") + "A>B c<d A>>B c2|]\n"
    notes = _notes(renderer, tune, tmp_path)
    lengths = [n[1] - n[0] for n in notes[:6]]
    assert lengths[:4] == [320, 160, 160, 320]  # 2:1 and 1:2
    assert lengths[4:] == [420, 60]  # a>>b stays 7:1
    # In a hornpipe the ratio also swings its plain pairs (R:hornpipe in abc2midi).
    hornpipe = HEAD.format(r="R:hornpipe\n%%MIDI ratio 3 1\n", m="4/4") + EIGHTHS_44
    assert median(_pair_ratios(_notes(renderer, hornpipe, tmp_path))) == pytest.approx(3.0, 0.01)


def _velocity_at(notes: list[tuple], tick: int) -> int:
    return next(n[3] for n in notes if n[0] == tick)


def test_accents_follow_the_meter(renderer, tmp_path):
    jig = _notes(renderer, JIG, tmp_path, Lilt(swing=0))
    eighth = TICKS // 2
    first, second = _velocity_at(jig, 0), _velocity_at(jig, 3 * eighth)
    others = [_velocity_at(jig, k * eighth) for k in (1, 2, 4, 5)]
    assert first > second > max(others)  # strong-weak-weak medium-weak-weak
    reel = _notes(renderer, REEL, tmp_path, Lilt(swing=0))
    beats = [_velocity_at(reel, k * TICKS) for k in range(4)]
    offbeats = [_velocity_at(reel, k * TICKS + eighth) for k in range(4)]
    assert beats[0] > beats[2] > max(beats[1], beats[3]) > max(offbeats)  # strong on 1 and 3
    waltz = HEAD.format(r="R:waltz\n", m="3/4") + "D2 F2 A2|d2 A2 F2|]\n"
    velocities = [n[3] for n in _notes(renderer, waltz, tmp_path)]
    assert velocities[0] > max(velocities[1:3]) and velocities[3] > max(velocities[4:])
    flat = _notes(renderer, JIG, tmp_path, Lilt(swing=0, accents=False))
    assert len({n[3] for n in flat}) == 1


def test_a_pickup_is_counted_back_from_the_downbeat(renderer, tmp_path):
    jig = HEAD.format(r="R:jig\n", m="6/8") + "A|FAd FAd|GBd GBd|]\n"
    notes = _notes(renderer, jig, tmp_path)
    pickup, downbeat, second_note = notes[0][3], notes[1][3], notes[2][3]
    assert downbeat > pickup and pickup == second_note  # the pickup is the bar's last eighth
    hornpipe = HEAD.format(r="R:hornpipe\n", m="4/4") + "AG|" + EIGHTHS_44
    notes = _notes(renderer, hornpipe, tmp_path)
    assert notes[2][3] > notes[0][3] > notes[1][3]  # downbeat > beat 4 > its off-beat
    assert (notes[1][0] - notes[0][0]) / (notes[2][0] - notes[1][0]) == pytest.approx(2.0, 0.01)


def test_a_roll_is_played_within_the_written_length(renderer, tmp_path):
    tune = HEAD.format(r="R:jig\n", m="6/8") + "~B3 AFD|]\n"
    notes = _notes(renderer, tune, tmp_path, Lilt(swing=0))
    dotted_quarter = 3 * TICKS // 2
    roll = [n for n in notes if n[0] < dotted_quarter]
    # B, the cut (C#, the note above in D), B, the tap (A, the note below), B.
    assert [n[2] for n in roll] == [71, 73, 71, 69, 71]
    assert roll[0][0] == 0 and roll[-1][1] == dotted_quarter
    assert all(a[1] <= b[0] for a, b in zip(roll, roll[1:], strict=False))
    assert roll[2][0] < TICKS and roll[4][0] < dotted_quarter
    plain = _notes(renderer, tune, tmp_path, Lilt(swing=0, ornaments=False))
    assert [n[2] for n in plain if n[0] < dotted_quarter] == [71]
    assert len(notes) == len(plain) + 4


def test_grace_notes_are_heard_before_the_main_note(renderer, tmp_path):
    tune = HEAD.format(r="", m="4/4") + "{g}A2 {gAg}B2 d4|]\n"
    notes = _notes(renderer, tune, tmp_path)
    assert [n[2] for n in notes] == [79, 69, 79, 69, 79, 71, 74]
    grace, main = notes[0], notes[1]
    assert grace[0] == 0 and 0 < grace[1] - grace[0] <= main[0] and grace[3] > 0
    assert main[1] == TICKS  # the grace takes its time from the main note
    assert notes[2][0] == TICKS and notes[5][1] == 2 * TICKS


def test_parse_swing_reads_percentages_ratios_and_names():
    assert parse_swing("50") == parse_swing("50%") == parse_swing("2:1") == 50.0
    assert parse_swing("straight") == parse_swing("0") == 0.0
    assert parse_swing("genre") is None
    for bad in ("4:1", "-5", "fast", "1:0"):
        with pytest.raises(ValueError):
            parse_swing(bad)
    with pytest.raises(ValueError):
        Lilt(swing=120)
