"""Turn Verovio's SVG into SVG that Qt's SVG Tiny 1.2 renderer shows completely.

Verovio nests an `<svg>` (skipped by Qt: a blank page), draws glyphs through `<use>` of
`<defs>` groups, styles through a CSS `<style>` block and `class`, puts text in nested
`<tspan>`s whose outer font size is zero, and hides placeholder ellipses with CSS. The
flattened document has one root `<svg>` carrying the inner viewBox, glyphs inlined as
transformed paths, explicit stroke/fill/font attributes and one plain `<text>` per text
item. Element ids and classes are kept so a viewer can find notes by id.

The output uses a small, fixed vocabulary (g, path, polygon, polyline, ellipse, circle, rect,
line, text) that core.render.draw also reads to make PDF and PNG.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import overload
from xml.sax.saxutils import escape

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_S = "{" + SVG_NS + "}"
_HREF_KEYS = ("{" + XLINK_NS + "}href", "href")

TEXT_FONT = "Times New Roman, Times, serif"
SHAPES = ("path", "polygon", "polyline", "ellipse", "circle", "rect", "line")
_KEEP = frozenset(
    (
        "id",
        "class",
        "transform",
        "d",
        "points",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "width",
        "height",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-opacity",
        "fill-opacity",
        "fill-rule",
    )
)
_PX_ATTRS = frozenset(("stroke-width", "width", "height"))
# Verovio's CSS: which group classes make their text bold or italic.
_BOLD_CLASSES = {"ending", "fing", "reh", "tempo"}
_ITALIC_CLASSES = {"dir", "dynam", "mNum"}
# SMuFL code points Verovio may put in text runs (accidentals in chord symbols, tempo notes).
_SMUFL_TEXT = {
    "\ue260": "\u266d",
    "\ue261": "\u266e",
    "\ue262": "\u266f",
    "\ue263": "\U0001d12a",
    "\ue264": "\U0001d12b",
    "\ue1d5": "\u2669",
    "\ue1d7": "\u266a",
    "\ue1d3": "\U0001d15e",
    "\uea63": "\U0001d12b",
    "\uea64": "\u266d",
    "\uea65": "\u266e",
    "\uea66": "\u266f",
    "\uea67": "\U0001d12a",
    "\ued60": "\u266d",
    "\ued61": "\u266e",
    "\ued62": "\u266f",
    "\ued63": "\U0001d12a",
    "\ued64": "\U0001d12b",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@overload
def _px(value: str) -> str: ...
@overload
def _px(value: None) -> None: ...
def _px(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:-2] if value.endswith("px") else value


def flatten_svg(verovio_svg: str) -> str:
    """Return a Qt-displayable SVG document equivalent to one Verovio page."""
    root = ET.fromstring(verovio_svg)
    defs: dict[str, ET.Element] = {}
    for d in root.iter(_S + "defs"):
        for child in d:
            child_id = child.get("id")
            if child_id:
                defs[child_id] = child
    inner = next((e for e in root.iter(_S + "svg") if e is not root), None)
    view_box = (inner if inner is not None else root).get("viewBox")
    width, height = _px(root.get("width")), _px(root.get("height"))
    if view_box is None:
        view_box = f"0 0 {width} {height}"
    out = [
        f'<svg xmlns="{SVG_NS}" version="1.2" baseProfile="tiny" width="{width or 100}" '
        f'height="{height or 100}" viewBox="{view_box}"><g fill="black" stroke="none">'
    ]
    writer = _Writer(defs, out)
    for child in inner if inner is not None else root:
        writer.convert(child, frozenset())
    out.append("</g></svg>")
    return "".join(out)


def quoteattr(value: str) -> str:
    """A double-quoted attribute value (faster than saxutils; values come from parsed XML)."""
    if "&" in value or "<" in value or '"' in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        value = value.replace('"', "&quot;")
    return '"' + value + '"'


def _attrs(elem: ET.Element) -> str:
    parts = []
    for key, value in elem.attrib.items():
        if key in _KEEP:
            if key in _PX_ATTRS and value.endswith("px"):
                value = value[:-2]
            parts.append(f" {key}={quoteattr(value)}")
    return "".join(parts)


def _paint(elem: ET.Element) -> str:
    fill = elem.get("fill")
    stroke = elem.get("stroke")
    # Verovio's CSS strokes every shape with currentColor; keep an explicit "none".
    fill = "black" if fill in (None, "currentColor", "currentcolor") else fill
    stroke = "black" if stroke in (None, "currentColor", "currentcolor") else stroke
    return f" fill={quoteattr(fill)} stroke={quoteattr(stroke)}"


class _Writer:
    def __init__(self, defs: dict[str, ET.Element], out: list[str]) -> None:
        self.defs = defs
        self.out = out
        self.glyphs: dict[str, str] = {}

    def convert(self, elem: ET.Element, style: frozenset) -> None:
        tag = _local(elem.tag)
        cls = elem.get("class", "")
        if tag in ("style", "desc", "defs", "title", "metadata") or "placeholder" in cls:
            return
        if tag in ("g", "svg"):
            if cls:
                style = style | (set(cls.split()) & _STYLE_CLASSES)
            attrs = _attrs(elem)
            if tag == "svg":
                attrs = "".join(
                    f" {k}={quoteattr(v)}" for k, v in elem.attrib.items() if k in ("id", "class")
                )
            if len(elem) == 0:
                self.out.append(f"<g{attrs} />")
                return
            self.out.append(f"<g{attrs}>")
            for child in elem:
                self.convert(child, style)
            self.out.append("</g>")
        elif tag == "use":
            self._inline_use(elem)
        elif tag == "text":
            self.out.append(_text(elem, style))
        elif tag in SHAPES:
            self.out.append(f"<{tag}{_attrs(elem)}{_paint(elem)} />")

    def _inline_use(self, elem: ET.Element) -> None:
        href = next((v for k in _HREF_KEYS if (v := elem.get(k))), "").lstrip("#")
        glyph = self.glyphs.get(href)
        if glyph is None:
            target = self.defs.get(href)
            if target is None:
                return
            # Glyph outlines are filled only; a default-width stroke would thicken them.
            shapes = "".join(
                f'<{_local(c.tag)}{_attrs(c)} fill="black" stroke="none" />'
                for c in target
                if _local(c.tag) in SHAPES
            )
            glyph = self.glyphs[href] = shapes
        transform = " ".join(t for t in (_use_offset(elem), elem.get("transform", "")) if t)
        attrs = f" transform={quoteattr(transform)}" if transform else ""
        self.out.append(f"<g{attrs}>{glyph}</g>")


_STYLE_CLASSES = _BOLD_CLASSES | _ITALIC_CLASSES | {"label"}


def _use_offset(elem: ET.Element) -> str:
    x, y = elem.get("x"), elem.get("y")
    if x or y:
        return f"translate({_px(x) or 0},{_px(y) or 0})"
    return ""


def _text(elem: ET.Element, style: frozenset) -> str:
    runs: list[str] = []
    info: dict[str, str] = {}
    _collect_text(elem, runs, info)
    content = re.sub(r"\s+", " ", "".join(runs)).strip()
    content = "".join(
        _SMUFL_TEXT.get(ch, "" if "\ue000" <= ch <= "\uf8ff" else ch) for ch in content
    )
    if not content or "x" not in info or "y" not in info:
        return ""
    attrs = (
        f" x={quoteattr(info['x'])} y={quoteattr(info['y'])} font-family={quoteattr(TEXT_FONT)}"
        f' font-size={quoteattr(info.get("font-size", "405"))} fill="black" stroke="none"'
    )
    if info.get("text-anchor"):
        attrs += f" text-anchor={quoteattr(info['text-anchor'])}"
    weight = info.get("font-weight") or ("bold" if style & _BOLD_CLASSES else None)
    if weight and weight != "normal" and "label" not in style:
        attrs += ' font-weight="bold"'
    italic = info.get("font-style") or ("italic" if style & _ITALIC_CLASSES else None)
    if italic and italic != "normal":
        attrs += ' font-style="italic"'
    return f"<text{attrs}>{escape(content)}</text>"


def _collect_text(elem: ET.Element, runs: list[str], info: dict[str, str]) -> None:
    """Gather text runs and the first position, anchor and non-zero font size in the tree."""
    for key in ("x", "y", "text-anchor", "font-weight", "font-style"):
        value = elem.get(key)
        if value is not None and key not in info:
            info[key] = _px(value).split()[0] if key in ("x", "y") else value
    size = _px(elem.get("font-size"))
    if size and "font-size" not in info:
        try:
            if float(size) > 0:
                info["font-size"] = size
        except ValueError:
            pass
    # Whitespace-only text between tspans is Verovio's indentation, not content.
    if elem.text and elem.text.strip():
        runs.append(elem.text)
    for child in elem:
        _collect_text(child, runs, info)
        if child.tail and child.tail.strip():
            runs.append(child.tail)
