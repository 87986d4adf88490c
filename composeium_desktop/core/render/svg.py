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

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_S = "{" + SVG_NS + "}"
_HREF_KEYS = ("{" + XLINK_NS + "}href", "href")

TEXT_FONT = "Times New Roman, Times, serif"
SHAPES = ("path", "polygon", "polyline", "ellipse", "circle", "rect", "line")
_KEEP_ATTRS = (
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


def _px(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:-2] if value.endswith("px") else value


def _classes(elem: ET.Element) -> set[str]:
    return set(elem.get("class", "").split())


def flatten_svg(verovio_svg: str) -> str:
    """Return a Qt-displayable SVG document equivalent to one Verovio page."""
    root = ET.fromstring(verovio_svg)
    defs: dict[str, ET.Element] = {}
    for d in root.iter(_S + "defs"):
        for child in d:
            if child.get("id"):
                defs[child.get("id")] = child
    inner = next((e for e in root.iter(_S + "svg") if e is not root), None)
    view_box = (inner if inner is not None else root).get("viewBox")
    width, height = _px(root.get("width")), _px(root.get("height"))
    if view_box is None:
        view_box = f"0 0 {width} {height}"
    out = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "version": "1.2",
            "baseProfile": "tiny",
            "width": width or "100",
            "height": height or "100",
            "viewBox": view_box,
        },
    )
    top = ET.SubElement(out, "g", {"fill": "black", "stroke": "none"})
    source = inner if inner is not None else root
    for child in source:
        _convert(child, top, defs, frozenset())
    return ET.tostring(out, encoding="unicode")


def _convert(elem: ET.Element, parent: ET.Element, defs: dict, style: frozenset) -> None:
    tag = _local(elem.tag)
    classes = _classes(elem)
    if tag in ("style", "desc", "defs", "title", "metadata") or "placeholder" in classes:
        return
    if tag == "g" or tag == "svg":
        style = style | (classes & (_BOLD_CLASSES | _ITALIC_CLASSES | {"label"}))
        attrs = _copy_attrs(elem)
        if tag == "svg":
            attrs = {k: v for k, v in attrs.items() if k in ("id", "class")}
        group = ET.SubElement(parent, "g", attrs)
        for child in elem:
            _convert(child, group, defs, style)
        return
    if tag == "use":
        _inline_use(elem, parent, defs)
        return
    if tag == "text":
        _convert_text(elem, parent, style)
        return
    if tag in SHAPES:
        _convert_shape(elem, parent)


def _copy_attrs(elem: ET.Element) -> dict[str, str]:
    attrs = {}
    for key in _KEEP_ATTRS:
        value = elem.get(key)
        if value is not None:
            attrs[key] = _px(value) if key in ("stroke-width", "width", "height") else value
    return attrs


def _paint(elem: ET.Element, attrs: dict[str, str]) -> None:
    fill = elem.get("fill")
    stroke = elem.get("stroke")
    attrs["fill"] = "black" if fill in (None, "currentColor", "currentcolor") else fill
    # Verovio's CSS strokes every shape with currentColor; keep explicit "none".
    attrs["stroke"] = "black" if stroke in (None, "currentColor", "currentcolor") else stroke


def _convert_shape(elem: ET.Element, parent: ET.Element) -> None:
    attrs = _copy_attrs(elem)
    _paint(elem, attrs)
    ET.SubElement(parent, _local(elem.tag), attrs)


def _inline_use(elem: ET.Element, parent: ET.Element, defs: dict) -> None:
    href = next((elem.get(k) for k in _HREF_KEYS if elem.get(k)), "")
    target = defs.get(href.lstrip("#"))
    if target is None:
        return
    attrs = {}
    transform = " ".join(
        t for t in (_use_offset(elem), elem.get("transform", ""), target.get("transform", "")) if t
    )
    if transform:
        attrs["transform"] = transform
    group = ET.SubElement(parent, "g", attrs)
    for child in target:
        if _local(child.tag) in SHAPES:
            _convert_shape(child, group)
            # Glyph outlines are filled only; a default-width stroke would thicken them.
            group[-1].set("stroke", "none")


def _use_offset(elem: ET.Element) -> str:
    x, y = elem.get("x"), elem.get("y")
    if x or y:
        return f"translate({_px(x) or 0},{_px(y) or 0})"
    return ""


def _convert_text(elem: ET.Element, parent: ET.Element, style: frozenset) -> None:
    runs: list[str] = []
    info: dict[str, str] = {}
    _collect_text(elem, runs, info)
    content = re.sub(r"\s+", " ", "".join(runs)).strip()
    content = "".join(
        _SMUFL_TEXT.get(ch, "" if "\ue000" <= ch <= "\uf8ff" else ch) for ch in content
    )
    if not content or "x" not in info or "y" not in info:
        return
    size = info.get("font-size", "405")
    attrs = {
        "x": info["x"],
        "y": info["y"],
        "font-family": TEXT_FONT,
        "font-size": size,
        "fill": "black",
        "stroke": "none",
    }
    if info.get("text-anchor"):
        attrs["text-anchor"] = info["text-anchor"]
    weight = info.get("font-weight") or ("bold" if style & _BOLD_CLASSES else None)
    if weight and weight != "normal" and "label" not in style:
        attrs["font-weight"] = "bold"
    italic = info.get("font-style") or ("italic" if style & _ITALIC_CLASSES else None)
    if italic and italic != "normal":
        attrs["font-style"] = "italic"
    text = ET.SubElement(parent, "text", attrs)
    text.text = content


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
