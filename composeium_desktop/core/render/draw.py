"""Draw flattened score SVG (core.render.svg's output) with matplotlib: vector PDF and PNG.

The flattened SVG uses a small fixed vocabulary (g with transforms, path, polygon, polyline,
ellipse, circle, rect, line, text), so a small interpreter turns it into matplotlib path
collections and text. matplotlib is already a dependency; its PDF backend writes true vector
pages with embedded fonts and its Agg backend rasterises PNG, with no Qt and no external tool.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_S = "{http://www.w3.org/2000/svg}"
MM_PER_INCH = 25.4
PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATH_TOKEN = re.compile(rf"[MmLlHhVvCcSsQqTtAaZz]|{_NUMBER}")
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")


@dataclass
class _Scene:
    width: float
    height: float
    fills: list = field(default_factory=list)  # (vertices, codes)
    strokes: list = field(default_factory=list)  # (vertices, codes, width in user units)
    texts: list = field(default_factory=list)  # (x, y, text, size, anchor, weight, style)


def _matrix(spec: str | None) -> np.ndarray:
    m = np.eye(3)
    if not spec:
        return m
    for name, args in _TRANSFORM.findall(spec):
        v = [float(a) for a in re.findall(_NUMBER, args)]
        t = np.eye(3)
        if name == "matrix" and len(v) == 6:
            t = np.array([[v[0], v[2], v[4]], [v[1], v[3], v[5]], [0, 0, 1]])
        elif name == "translate" and v:
            t[0, 2], t[1, 2] = v[0], (v[1] if len(v) > 1 else 0.0)
        elif name == "scale" and v:
            t[0, 0], t[1, 1] = v[0], (v[1] if len(v) > 1 else v[0])
        elif name == "rotate" and v:
            a = math.radians(v[0])
            r = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
            if len(v) == 3:
                pre, post = np.eye(3), np.eye(3)
                pre[:2, 2], post[:2, 2] = (v[1], v[2]), (-v[1], -v[2])
                r = pre @ r @ post
            t = r
        m = m @ t
    return m


def _parse_path(d: str) -> tuple[list[tuple[float, float]], list[Any]]:
    from matplotlib.path import Path

    tokens = _PATH_TOKEN.findall(d)
    verts: list[tuple[float, float]] = []
    # matplotlib path codes are numpy uint8 values
    codes: list[Any] = []
    i, cmd = 0, ""
    x = y = sx = sy = 0.0
    last_ctrl: tuple[float, float] | None = None
    last_cmd = ""

    def nums(k: int) -> list[float]:
        nonlocal i
        out = [float(t) for t in tokens[i : i + k]]
        i += k
        return out

    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                if verts:
                    verts.append((sx, sy))
                    codes.append(Path.CLOSEPOLY)
                x, y = sx, sy
                last_cmd = cmd
                continue
        elif not cmd:
            i += 1
            continue
        rel = cmd.islower()
        c = cmd.upper()
        need = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7}.get(c, 0)
        if need == 0 or i + need > len(tokens) or any(t.isalpha() for t in tokens[i : i + need]):
            break
        v = nums(need)
        ox, oy = (x, y) if rel else (0.0, 0.0)
        if c == "M":
            x, y = ox + v[0], oy + v[1]
            sx, sy = x, y
            verts.append((x, y))
            codes.append(Path.MOVETO)
            cmd = "l" if rel else "L"
        elif c in "LHVTA":
            if c == "H":
                x = ox + v[0] if rel else v[0]
            elif c == "V":
                y = oy + v[0] if rel else v[0]
            else:
                x, y = ox + v[-2], oy + v[-1]
            verts.append((x, y))
            codes.append(Path.LINETO)
        elif c == "C":
            pts = [(ox + v[0], oy + v[1]), (ox + v[2], oy + v[3]), (ox + v[4], oy + v[5])]
            verts.extend(pts)
            codes.extend([Path.CURVE4] * 3)
            last_ctrl, (x, y) = pts[1], pts[2]
        elif c == "S":
            if last_cmd.upper() in ("C", "S") and last_ctrl is not None:
                c1 = (2 * x - last_ctrl[0], 2 * y - last_ctrl[1])
            else:
                c1 = (x, y)
            pts = [c1, (ox + v[0], oy + v[1]), (ox + v[2], oy + v[3])]
            verts.extend(pts)
            codes.extend([Path.CURVE4] * 3)
            last_ctrl, (x, y) = pts[1], pts[2]
        elif c == "Q":
            pts = [(ox + v[0], oy + v[1]), (ox + v[2], oy + v[3])]
            verts.extend(pts)
            codes.extend([Path.CURVE3] * 2)
            last_ctrl, (x, y) = pts[0], pts[1]
        if codes and codes[0] != Path.MOVETO:
            verts.insert(0, (0.0, 0.0))
            codes.insert(0, Path.MOVETO)
        last_cmd = cmd
    return verts, codes


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> tuple[list, list]:
    from matplotlib.path import Path

    circle = Path.unit_circle()
    vertices: Any = circle.vertices  # matplotlib types it as any array-like
    verts = [(cx + rx * float(px), cy + ry * float(py)) for px, py in vertices]
    codes: Any = circle.codes
    return verts, list(codes)


def _poly(points: str, closed: bool) -> tuple[list, list]:
    from matplotlib.path import Path

    v = [float(n) for n in re.findall(_NUMBER, points)]
    pts = list(zip(v[0::2], v[1::2], strict=False))
    if not pts:
        return [], []
    codes = [Path.MOVETO] + [Path.LINETO] * (len(pts) - 1)
    if closed:
        pts.append(pts[0])
        codes.append(Path.CLOSEPOLY)
    return pts, codes


def _f(elem: ET.Element, name: str, default: float = 0.0) -> float:
    try:
        return float(re.sub(r"px$", "", elem.get(name, "")) or default)
    except ValueError:
        return default


def _collect(elem: ET.Element, ctm: np.ndarray, scene: _Scene) -> None:
    ctm = ctm @ _matrix(elem.get("transform"))
    tag = elem.tag.replace(_S, "")
    if tag in ("g", "svg"):
        for child in elem:
            _collect(child, ctm, scene)
        return
    if tag == "text":
        _collect_text(elem, ctm, scene)
        return
    shape = _shape(elem, tag)
    if shape is None or not shape[0]:
        return
    verts, codes = shape
    pts = np.asarray(verts, dtype=float)
    pts = pts @ ctm[:2, :2].T + ctm[:2, 2]
    scale = math.sqrt(abs(np.linalg.det(ctm[:2, :2]))) or 1.0
    fill = elem.get("fill", "black")
    stroke = elem.get("stroke", "none")
    if fill != "none" and tag not in ("line", "polyline"):
        scene.fills.append((pts, codes))
    if stroke != "none":
        width = _f(elem, "stroke-width", 1.0) * scale
        if width > 0:
            scene.strokes.append((pts, codes, width))


def _shape(elem: ET.Element, tag: str) -> tuple[list, list] | None:
    from matplotlib.path import Path

    if tag == "path":
        return _parse_path(elem.get("d", ""))
    if tag in ("polygon", "polyline"):
        return _poly(elem.get("points", ""), tag == "polygon")
    if tag in ("ellipse", "circle"):
        rx = _f(elem, "r") if tag == "circle" else _f(elem, "rx")
        ry = _f(elem, "r") if tag == "circle" else _f(elem, "ry")
        return _ellipse(_f(elem, "cx"), _f(elem, "cy"), rx, ry)
    if tag == "rect":
        x, y, w, h = _f(elem, "x"), _f(elem, "y"), _f(elem, "width"), _f(elem, "height")
        pts = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
        return pts, [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    if tag == "line":
        pts = [(_f(elem, "x1"), _f(elem, "y1")), (_f(elem, "x2"), _f(elem, "y2"))]
        return pts, [Path.MOVETO, Path.LINETO]
    return None


def _collect_text(elem: ET.Element, ctm: np.ndarray, scene: _Scene) -> None:
    content = "".join(elem.itertext()).strip()
    if not content:
        return
    x, y = _f(elem, "x"), _f(elem, "y")
    px, py = ctm[:2, :2] @ np.array([x, y]) + ctm[:2, 2]
    scale = math.sqrt(abs(np.linalg.det(ctm[:2, :2]))) or 1.0
    scene.texts.append(
        (
            float(px),
            float(py),
            content,
            _f(elem, "font-size", 405.0) * scale,
            elem.get("text-anchor", "start"),
            elem.get("font-weight", "normal"),
            elem.get("font-style", "normal"),
        )
    )


def parse_scene(svg: str) -> _Scene:
    root = ET.fromstring(svg)
    box = [float(v) for v in re.findall(_NUMBER, root.get("viewBox", ""))]
    if len(box) != 4:
        box = [0.0, 0.0, _f(root, "width", 100.0), _f(root, "height", 100.0)]
    scene = _Scene(box[2], box[3])
    ctm = np.eye(3)
    ctm[0, 2], ctm[1, 2] = -box[0], -box[1]
    for child in root:
        _collect(child, ctm, scene)
    return scene


def _figure(scene: _Scene, width_in: float, height_in: float) -> Any:
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.path import Path

    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.width * height_in / width_in, 0)
    ax.axis("off")
    points_per_unit = width_in * 72.0 / scene.width
    if scene.fills:
        paths = [Path(v, c) for v, c in scene.fills]
        ax.add_collection(
            PathCollection(paths, facecolors="black", edgecolors="none", linewidths=0)
        )
    if scene.strokes:
        paths = [Path(v, c) for v, c, _ in scene.strokes]
        widths = [w * points_per_unit for _, _, w in scene.strokes]
        ax.add_collection(
            PathCollection(
                paths, facecolors="none", edgecolors="black", linewidths=widths, capstyle="butt"
            )
        )
    for x, y, text, size, anchor, weight, style in scene.texts:
        ax.text(
            x,
            y,
            text,
            fontsize=size * points_per_unit,
            ha={"middle": "center", "end": "right"}.get(anchor, "left"),
            va="baseline",
            family="serif",
            fontweight="bold" if weight == "bold" else "normal",
            fontstyle="italic" if style == "italic" else "normal",
            color="black",
        )
    return fig


CONTENTS_LINES = 36  # tunes listed per contents page


def _contents_figure(entries: Sequence[tuple[str, int]], width_in: float, height_in: float) -> Any:
    """One contents page: "Contents", then "n. Title .... page" for each entry."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    fig.text(0.5, 0.93, "Contents", ha="center", va="baseline", family="serif", fontsize=20)
    for row, (title, page) in enumerate(entries):
        y = 0.87 - row * 0.8 / CONTENTS_LINES
        fig.text(0.12, y, title, ha="left", va="baseline", family="serif", fontsize=11)
        fig.text(0.88, y, str(page), ha="right", va="baseline", family="serif", fontsize=11)
    return fig


def book_to_pdf(
    tunes: Sequence[tuple[str, Sequence[str]]], file: Any, paper: str = "a4", title: str = ""
) -> None:
    """A tune book as one vector PDF: contents pages (each tune's title and first page),
    then every tune's pages (flattened SVG laid out for `paper`), in order."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    width_mm, height_mm = PAPER_MM[paper]
    width_in, height_in = width_mm / MM_PER_INCH, height_mm / MM_PER_INCH
    contents_pages = max(1, math.ceil(len(tunes) / CONTENTS_LINES))
    entries, page = [], contents_pages + 1
    for number, (tune_title, pages) in enumerate(tunes, start=1):
        entries.append((f"{number}. {tune_title or 'Untitled'}", page))
        page += len(pages)
    with (
        matplotlib.rc_context({"pdf.fonttype": 42}),
        PdfPages(file, metadata={"Title": title or "Tune book", "Creator": "Composeium"}) as pdf,
    ):
        for first in range(0, max(len(entries), 1), CONTENTS_LINES):
            chunk = entries[first : first + CONTENTS_LINES]
            pdf.savefig(_contents_figure(chunk, width_in, height_in))
        for _title, pages in tunes:
            for svg in pages:
                pdf.savefig(_figure(parse_scene(svg), width_in, height_in))


def pages_to_pdf(pages: Sequence[str], file: Any, paper: str = "a4", title: str = "") -> None:
    """Write the pages (flattened SVG, each laid out for `paper`) as a vector PDF."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    width_mm, height_mm = PAPER_MM[paper]
    # TrueType (42) keeps the text selectable and searchable in PDF readers.
    with (
        matplotlib.rc_context({"pdf.fonttype": 42}),
        PdfPages(file, metadata={"Title": title or "Score", "Creator": "Composeium"}) as pdf,
    ):
        for svg in pages:
            scene = parse_scene(svg)
            fig = _figure(scene, width_mm / MM_PER_INCH, height_mm / MM_PER_INCH)
            pdf.savefig(fig)


def pages_to_png(pages: Sequence[str], file: Any, pixels_per_unit: float = 0.1) -> None:
    """Rasterise the pages, stacked top to bottom, into one PNG (white background)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    images = []
    for svg in pages:
        scene = parse_scene(svg)
        dpi = 100.0
        width_in = scene.width * pixels_per_unit / dpi
        height_in = scene.height * pixels_per_unit / dpi
        fig = _figure(scene, width_in, height_in)
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        images.append(rgba[:, :, :3].copy())
    width = max(img.shape[1] for img in images)
    stacked = np.vstack(
        [
            np.pad(img, ((0, 0), (0, width - img.shape[1]), (0, 0)), constant_values=255)
            for img in images
        ]
    )
    Image.fromarray(stacked).save(file, format="PNG")


def stack_pages(pages: Sequence[str]) -> str:
    """One SVG document with the (flattened) pages one below the other."""
    if len(pages) == 1:
        return pages[0]
    roots = [ET.fromstring(svg) for svg in pages]
    boxes = [[float(v) for v in re.findall(_NUMBER, r.get("viewBox", "0 0 1 1"))] for r in roots]
    width = max(b[2] for b in boxes)
    height = sum(b[3] for b in boxes)
    px_w = max(_f(r, "width", 100.0) for r in roots)
    px_h = sum(_f(r, "height", 100.0) for r in roots)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny" '
        f'width="{px_w:g}" height="{px_h:g}" viewBox="0 0 {width:g} {height:g}">'
    ]
    offset = 0.0
    for svg, box in zip(pages, boxes, strict=True):
        inner = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
        parts.append(f'<g transform="translate({-box[0]:g},{offset - box[1]:g})">{inner}</g>')
        offset += box[3]
    parts.append("</svg>")
    return "".join(parts)
