"""When each engraved element sounds: MEI durations -> onsets, repeats and endings expanded.

Verovio's own timemap costs more than a third of a re-render, ignores the beat unit of Q:
and plays first/second endings wrongly, so onsets are computed here from the MEI that the
ABC importer produced (durations, dots, tuplets, grace notes, ties) and repeats are expanded
by `playing_order`. Pure Python, no Verovio: it runs in the worker on an ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MEI_NS = "http://www.music-encoding.org/ns/mei"
_M = "{" + MEI_NS + "}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
EVENT_TAGS = {"note", "chord", "rest", "mRest", "multiRest", "space", "mSpace"}
REST_TAGS = {"rest", "mRest", "multiRest", "space", "mSpace"}
_SILENT_TAGS = {"space", "mSpace"}
_DUR_QUARTERS = {"long": 16.0, "breve": 8.0, "1": 4.0, "2": 2.0, "4": 1.0, "8": 0.5}
GRACE_QUARTERS = 0.125


@dataclass
class Measure:
    id: str
    left: str | None
    right: str | None
    length_q: float = 0.0


@dataclass
class Timed:
    """An element's onset/offset in quarter notes from its measure's start."""

    id: str
    kind: str  # "note" or "rest"
    on_q: float
    off_q: float
    grace: bool = False


@dataclass
class ScoreTiming:
    measures: list[Measure] = field(default_factory=list)
    elements: list[tuple[str, str, list[str]]] = field(default_factory=list)
    measure_of: dict[str, str] = field(default_factory=dict)
    timed: dict[str, list[Timed]] = field(default_factory=dict)
    ties: dict[str, str] = field(default_factory=dict)


def _quarters(elem: ET.Element, fallback: float) -> float:
    dur = elem.get("dur")
    if dur is None:
        return fallback
    base = _DUR_QUARTERS.get(dur)
    if base is None:
        try:
            base = 4.0 / float(dur)
        except (ValueError, ZeroDivisionError):
            return fallback
    try:
        dots = int(elem.get("dots", "0"))
    except ValueError:
        dots = 0
    return base * (2.0 - 0.5 ** max(0, min(dots, 4)))


def score_timing(root: ET.Element, meter_q: float) -> ScoreTiming:
    """Onsets of every note/rest per measure, the measures in order, ties and event order."""
    timing = ScoreTiming()
    for measure in root.iter(_M + "measure"):
        mid = measure.get(XML_ID, "")
        entry = Measure(mid, measure.get("left"), measure.get("right"))
        timing.measures.append(entry)
        items: list[Timed] = []
        for staff_index, staff in enumerate(measure.iter(_M + "staff")):
            for layer in staff.iter(_M + "layer"):
                walker = _LayerWalker(timing, mid, meter_q, items if staff_index == 0 else None)
                walker.walk(layer, 1.0)
                entry.length_q = max(entry.length_q, walker.cursor)
        timing.timed[mid] = items
        for tie in measure.iter(_M + "tie"):
            start = tie.get("startid", "").lstrip("#")
            end = tie.get("endid", "").lstrip("#")
            if start and end:
                timing.ties[start] = end
    return timing


class _LayerWalker:
    def __init__(self, timing: ScoreTiming, mid: str, meter_q: float, items: list | None):
        self.timing = timing
        self.mid = mid
        self.meter_q = meter_q
        self.items = items
        self.cursor = 0.0
        self.pending_grace: list[str] = []

    def walk(self, elem: ET.Element, scale: float) -> None:
        for child in elem:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag in EVENT_TAGS:
                self._event(child, tag, scale)
            elif tag == "tuplet":
                try:
                    ratio = float(child.get("numbase", "2")) / float(child.get("num", "3"))
                except (ValueError, ZeroDivisionError):
                    ratio = 1.0
                self.walk(child, scale * ratio)
            else:
                self.walk(child, scale)

    def _event(self, elem: ET.Element, tag: str, scale: float) -> None:
        eid = elem.get(XML_ID, "")
        notes = [n.get(XML_ID, "") for n in elem.iter(_M + "note")] if tag == "chord" else []
        self.timing.elements.append((eid, tag, notes))
        self.timing.measure_of[eid] = self.mid
        for nid in notes:
            self.timing.measure_of[nid] = self.mid
        if tag == "note" and elem.get("grace"):
            self.pending_grace.append(eid)
            return
        if tag in ("mRest", "mSpace"):
            length = self.meter_q
        elif tag == "multiRest":
            try:
                length = self.meter_q * max(0, int(elem.get("num", "1")))
            except ValueError:
                length = self.meter_q
        else:
            length = _quarters(elem, 1.0) * scale
        start = self.cursor
        if self.pending_grace and tag in ("note", "chord"):
            steal = min(GRACE_QUARTERS * len(self.pending_grace), length / 2.0)
            share = steal / len(self.pending_grace)
            for index, gid in enumerate(self.pending_grace):
                self._add(gid, "note", start + index * share, start + (index + 1) * share, True)
            start += steal
        self.pending_grace = []
        if tag not in _SILENT_TAGS:
            kind = "rest" if tag in REST_TAGS else "note"
            for target in notes or [eid]:
                self._add(target, kind, start, self.cursor + length, False)
        self.cursor += length

    def _add(self, eid: str, kind: str, on: float, off: float, grace: bool) -> None:
        if self.items is not None:
            self.items.append(Timed(eid, kind, on, off, grace))


def playing_order(measures: list[Measure], endings: dict[str, tuple]) -> list[int]:
    """Measure indices in playing order: each repeat taken once, endings chosen by pass."""
    played: list[int] = []
    start, pass_no, i, steps = 0, 1, 0, 0
    n = len(measures)
    while i < n and steps < 8 * n + 8:
        steps += 1
        measure = measures[i]
        if measure.left == "rptstart" and (pass_no == 1 or i != start):
            start, pass_no = i, 1
        numbers = endings.get(measure.id)
        if numbers and pass_no not in numbers:
            i += 1
            continue
        played.append(i)
        leaving_ending = bool(numbers) and (i + 1 >= n or measures[i + 1].id not in endings)
        if measure.right in ("rptend", "rptboth") and pass_no == 1:
            pass_no, i = 2, start
            continue
        if measure.right in ("rptend", "rptboth") or (pass_no == 2 and leaving_ending):
            start, pass_no = i + 1, 1
        elif measure.right == "rptstart" or (measure.right in ("dbl", "end") and pass_no == 1):
            # Verovio marks a repeat that starts after a pickup (``D|:GAB...``) as the pickup
            # measure's right bar line: the repeat goes back to the next measure, not the pickup.
            start, pass_no = i + 1, 1
        i += 1
    return played


@dataclass(frozen=True)
class Played:
    id: str
    kind: str
    on_ms: float
    off_ms: float
    tie_off_ms: float
    tie_end: bool
    grace: bool


def expand(
    timing: ScoreTiming, endings: dict[str, tuple], bpm: float
) -> tuple[list[Played], float]:
    """Every element occurrence in playing order, in ms at `bpm` quarter notes per minute."""
    ms_per_q = 60000.0 / bpm
    tie_ends = set(timing.ties.values())
    lookup: dict[str, Timed] = {}
    for items in timing.timed.values():
        for item in items:
            lookup[item.id] = item
    played: list[Played] = []
    offset = 0.0
    for index in playing_order(timing.measures, endings):
        measure = timing.measures[index]
        for item in timing.timed.get(measure.id, ()):
            tie_off = item.off_q
            end = timing.ties.get(item.id)
            seen = {item.id}
            while end and end in lookup and end not in seen:
                seen.add(end)
                tie_off += lookup[end].off_q - lookup[end].on_q
                end = timing.ties.get(end)
            played.append(
                Played(
                    item.id,
                    item.kind,
                    round((offset + item.on_q) * ms_per_q, 3),
                    round((offset + item.off_q) * ms_per_q, 3),
                    round((offset + tie_off) * ms_per_q, 3),
                    item.id in tie_ends,
                    item.grace,
                )
            )
        offset += measure.length_q
    played.sort(key=lambda p: (p.on_ms, p.off_ms))
    return played, round(offset * ms_per_q, 3)
