"""Everything that touches Verovio: ABC -> pages, timemap, positions and a performance plan.

This module runs only inside the render worker process (core.render.worker), because Verovio is
native code that can take its process down. It returns plain dicts and tuples that pickle.

Verovio's ABC importer drops first/second ending marks, so they come from core.render.scan;
onsets, repeats and endings are computed by core.render.timing from the importer's MEI. When a
tune has endings, the MEI is reloaded with `<ending>` elements so volta brackets are engraved.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from composeium_desktop.core.render.scan import (
    Scan,
    close_final_bar,
    first_tune,
    safe_repeats,
    scan_tune,
    tempo_bpm,
    verovio_text,
)
from composeium_desktop.core.render.svg import flatten_svg
from composeium_desktop.core.render.timing import (
    MEI_NS,
    REST_TAGS,
    XML_ID,
    ScoreTiming,
    expand,
    score_timing,
)

_M = "{" + MEI_NS + "}"
_XML_ID = XML_ID
_SECTION_END = {"rptend", "rptboth", "dbl", "end", "dbldashed", "dbldotted"}
_SVG_ID = re.compile(r' id="([^"]+)"')
DEFAULT_BPM = 120.0


class EngraveError(Exception):
    """A tune the engraver refuses; carries an optional 1-based line and column."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class Engraver:
    """One Verovio toolkit, reused across requests (loading fonts is the slow part)."""

    def __init__(self) -> None:
        import verovio

        if hasattr(verovio, "enableLog") and hasattr(verovio, "LOG_OFF"):
            verovio.enableLog(verovio.LOG_OFF)
        self._tk = verovio.toolkit()

    def render(self, abc: str, options: dict[str, Any]) -> dict[str, Any]:
        score = self._load(abc, options, engrave=True)
        count = self._tk.getPageCount()
        pages = [flatten_svg(self._tk.renderToSVG(p)) for p in range(1, count + 1)]
        page_of: dict[str, int] = {}
        for index, page in enumerate(pages):
            for element_id in _SVG_ID.findall(page):
                page_of.setdefault(element_id, index)
        return {
            "pages": pages,
            "timemap": [(e.id, e.on_ms, e.off_ms) for e in score["events"]],
            "positions": score["positions"],
            "page_of": page_of,
            "tempo": score["bpm"],
        }

    def perform(self, abc: str, options: dict[str, Any]) -> dict[str, Any]:
        score = self._load(abc, options, engrave=False)
        # MIDI values exist only once Verovio has computed its own timemap.
        self._tk.renderToTimemap({})
        pitches: dict[str, int] = {}
        notes = []
        other_voices = score["other_voices"]  # several voices: the first one is played
        for event in score["events"]:
            if event.kind != "note" or event.tie_end or event.id in other_voices:
                continue
            if event.id not in pitches:
                values = self._tk.getMIDIValuesForElement(event.id) or {}
                pitches[event.id] = int(values.get("pitch", -1))
            pitch = pitches[event.id]
            if 0 <= pitch <= 127:
                notes.append((event.id, event.on_ms, event.tie_off_ms, pitch, event.grace))
        duration = score["duration_ms"]
        if other_voices and notes:
            duration = max(off for _, _, off, _, _ in notes)
        return {
            "notes": notes,
            "timemap": [(e.id, e.on_ms, e.off_ms) for e in score["events"]],
            "bpm": score["bpm"],
            "meter": score["meter"],
            "key": score["key"],
            "title": score["title"],
            "duration_ms": duration,
            "positions": score["positions"],
        }

    def _load(self, abc: str, options: dict[str, Any], engrave: bool) -> dict[str, Any]:
        abc = first_tune(abc)
        scan = scan_tune(abc)
        if scan.error is not None:
            raise EngraveError(scan.error.message, scan.error.line, scan.error.col)
        if not scan.has_key:
            raise EngraveError("the tune has no K: (key) line, so it has no body", 1, 1)
        text = _safe_for_verovio(abc)
        tk = self._tk
        verovio_options = _verovio_options(options)
        # Laying out pages is most of a load's cost: skip it when the layout will not be
        # used (performing, or engraving a tune whose MEI is reloaded with its endings).
        layout_now = engrave and not scan.endings
        tk.setOptions({**verovio_options, "breaks": "auto" if layout_now else "none"})
        if not tk.loadData(text):
            raise EngraveError("the engraver could not read this tune")
        root = ET.fromstring(tk.getMEI())
        meter = _meter(root)
        meter_q = meter[0] * 4.0 / meter[1] if meter and meter[0] > 0 and meter[1] > 0 else 4.0
        timing = score_timing(root, meter_q)
        mapping = _map_events(scan, timing.elements)
        endings = _ending_measures(scan, mapping, timing)
        if engrave and endings:
            _insert_endings(root, endings)
            # The MEI must not go through the ABC importer (it would crash on it).
            # Its pitches are already transposed: do not transpose twice.
            tk.setOptions({"inputFrom": "mei", "transpose": ""})
            tk.setOptions({"breaks": verovio_options["breaks"]})
            if not tk.loadData(_mei_text(root)):
                raise EngraveError("the engraver could not lay out the endings of this tune")
        elif engrave and not layout_now:
            tk.setOptions({"breaks": verovio_options["breaks"]})
            tk.redoLayout()
        bpm = tempo_bpm(abc) or DEFAULT_BPM
        events, duration = expand(timing, endings, bpm)
        positions = {eid: (scan.events[i].line, scan.events[i].col) for eid, i in mapping.items()}
        other_voices = {
            eid for eid, i in mapping.items() if scan.events[i].voice != scan.first_voice
        }
        return {
            "events": events,
            "positions": positions,
            "other_voices": other_voices,
            "bpm": bpm,
            "duration_ms": duration,
            "meter": meter,
            "key": _key(root),
            "title": _title(root),
        }


def _mei_text(root: ET.Element) -> str:
    text = ET.tostring(root, encoding="unicode")
    # ElementTree writes ns0: prefixes; Verovio's MEI reader wants the default namespace.
    return text.replace("<ns0:", "<").replace("</ns0:", "</").replace("xmlns:ns0=", "xmlns=")


def _safe_for_verovio(abc: str) -> str:
    """The text Verovio gets: a numbered X: line, crash-prone repeats rewritten, a final bar."""
    abc = verovio_text(abc)
    if re.search(r"^X:", abc, re.M):
        # An X: without a number crashes the importer.
        text = re.sub(r"^X:(?!\s*\d+\s*$).*$", "X:1", abc, flags=re.M)
    else:
        text = "X:1\n" + abc
    # A malformed Q: or an empty K: crashes it too; the tempo is read by scan.tempo_bpm.
    text = re.sub(
        r"^Q:(?!\s*(?:\"[^\"]*\"\s*)?(?:(?:\d+/\d+\s*)+=\s*)?\d+\s*(?:\"[^\"]*\")?\s*$).*$",
        "%",
        text,
        flags=re.M,
    )
    text = re.sub(r"^K:[ \t]*$", "K:C", text, flags=re.M)
    text = close_final_bar(safe_repeats(text))
    # A tune whose text ends right after its K: line, with no newline, crashes the importer.
    return text if text.endswith("\n") else text + "\n"


def _verovio_options(options: dict[str, Any]) -> dict[str, Any]:
    transpose = int(options.get("transpose", 0))
    result = {
        "inputFrom": "abc",
        "pageWidth": int(options.get("page_width", 2100)),
        "pageHeight": int(options.get("page_height", 2970)),
        "scale": int(options.get("zoom", 40)),
        "adjustPageHeight": bool(options.get("adjust_page_height", True)),
        "footer": "none",
        "pageMarginLeft": int(options.get("page_margin", 50)),
        "pageMarginRight": int(options.get("page_margin", 50)),
        "pageMarginTop": int(options.get("page_margin", 50)),
        "pageMarginBottom": int(options.get("page_margin", 50)),
        "header": "auto",
        "breaks": "auto",
    }
    # Always set: toolkit options persist from one request to the next.
    result["transpose"] = f"{transpose:+d}" if transpose else ""
    return result


def _meter(root: ET.Element) -> tuple[int, int] | None:
    for sig in root.iter(_M + "meterSig"):
        try:
            return int(sig.get("count", "")), int(sig.get("unit", ""))
        except ValueError:
            return None
    for sdef in root.iter(_M + "scoreDef"):
        count, unit = sdef.get("meter.count"), sdef.get("meter.unit")
        if count and unit:
            try:
                return int(count), int(unit)
            except ValueError:
                return None
    return None


def _key(root: ET.Element) -> tuple[int, str]:
    """(sharps, mode): sharps < 0 for flats; mode as MEI writes it (major, minor, dorian...)."""
    for elem in root.iter():
        sig = elem.get("keysig") or elem.get("key.sig") or elem.get("sig")
        if sig and elem.tag.rsplit("}", 1)[-1] in ("scoreDef", "staffDef", "keySig"):
            mode = elem.get("key.mode") or elem.get("mode") or "major"
            match = re.fullmatch(r"(\d+)([sf])", sig)
            if match:
                count = int(match.group(1))
                return (count if match.group(2) == "s" else -count), mode
            return 0, mode
    return 0, "major"


def _title(root: ET.Element) -> str:
    for title in root.iter(_M + "title"):
        if title.text and title.text.strip():
            return title.text.strip()
    return ""


def _map_events(scan: Scan, elements: list[tuple[str, str, list[str]]]) -> dict[str, int]:
    """Element id -> index into scan.events, pairing both in order while their kinds agree."""
    mapping: dict[str, int] = {}
    for index, (event, (eid, tag, notes)) in enumerate(zip(scan.events, elements, strict=False)):
        is_rest = tag in REST_TAGS
        if is_rest != (event.kind == "rest"):
            break
        mapping[eid] = index
        for nid in notes:
            mapping[nid] = index
    return mapping


def _ending_measures(
    scan: Scan, mapping: dict[str, int], timing: ScoreTiming
) -> dict[str, tuple[int, ...]]:
    """Measure id -> ending numbers, for every measure inside a first/second ending."""
    if not scan.endings:
        return {}
    event_to_id: dict[int, str] = {}
    for eid, index in mapping.items():
        event_to_id.setdefault(index, eid)
    order = timing.measures
    index_of = {m.id: i for i, m in enumerate(order)}
    starts: dict[int, tuple[int, ...]] = {}
    for mark in scan.endings:
        event_id = event_to_id.get(mark.event_index)
        mid = timing.measure_of.get(event_id or "")
        if mid in index_of:
            starts[index_of[mid]] = mark.numbers
    result: dict[str, tuple[int, ...]] = {}
    for start, numbers in sorted(starts.items()):
        i = start
        while i < len(order):
            result[order[i].id] = numbers
            if order[i].right in _SECTION_END:
                break
            nxt = i + 1
            if nxt >= len(order) or nxt in starts or order[nxt].left == "rptstart":
                break
            i = nxt
    return result


def _insert_endings(root: ET.Element, endings: dict[str, tuple[int, ...]]) -> None:
    for section in root.iter(_M + "section"):
        children = list(section)
        current: ET.Element | None = None
        current_numbers: tuple[int, ...] | None = None
        for child in children:
            mid = child.get(_XML_ID, "")
            numbers = endings.get(mid) if child.tag == _M + "measure" else None
            if numbers is None:
                if child.tag == _M + "measure":
                    current = None
                continue
            if current is None or numbers != current_numbers:
                current = ET.Element(_M + "ending", {"n": ",".join(str(n) for n in numbers)})
                section.insert(list(section).index(child), current)
                current_numbers = numbers
            section.remove(child)
            current.append(child)
