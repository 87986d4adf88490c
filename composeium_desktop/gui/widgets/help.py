"""The Help menu's pages: keyboard shortcuts (read from the window's own actions), a short ABC
reference, and About (version, model, licences including the Essen collection's terms)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

ABC_REFERENCE = """
<h3>ABC in one page</h3>
<p>A tune is a header (one field per line) and a body of notes.</p>
<table cellpadding="3">
<tr><td><code>X:1</code></td><td>tune number (starts a tune in a book)</td></tr>
<tr><td><code>T:The Kesh</code></td><td>title</td></tr>
<tr><td><code>R:jig</code></td><td>rhythm / genre</td></tr>
<tr><td><code>M:6/8</code></td><td>meter (<code>C</code> = 4/4, <code>C|</code> = 2/2)</td></tr>
<tr><td><code>L:1/8</code></td><td>unit note length</td></tr>
<tr><td><code>Q:1/4=120</code></td><td>tempo</td></tr>
<tr><td><code>K:G</code></td><td>key, last header line (<code>Em</code>, <code>Ador</code>,
<code>Dmix</code>)</td></tr>
</table>
<h4>Notes</h4>
<table cellpadding="3">
<tr><td><code>C D E F G A B</code></td><td>the octave from middle C;
<code>c d e</code> the one above; <code>c'</code> higher, <code>C,</code> lower</td></tr>
<tr><td><code>^F _B =F</code></td><td>sharp, flat, natural (last to the bar line)</td></tr>
<tr><td><code>A2 A/2 A3/2 A/</code></td><td>lengths in units of L:</td></tr>
<tr><td><code>A&gt;B A&lt;B</code></td><td>dotted pairs</td></tr>
<tr><td><code>(3ABc</code></td><td>triplet</td></tr>
<tr><td><code>z2</code></td><td>rest</td></tr>
<tr><td><code>[CEG]</code></td><td>notes played together</td></tr>
<tr><td><code>"Am"A2</code></td><td>chord symbol above the note</td></tr>
<tr><td><code>A2-A</code> <code>(AB)</code></td><td>tie, slur</td></tr>
<tr><td><code>{g}A ~A .A !trill!A</code></td><td>grace note, roll, staccato, trill</td></tr>
</table>
<h4>Bars and repeats</h4>
<table cellpadding="3">
<tr><td><code>| || |]</code></td><td>bar line, double bar, end</td></tr>
<tr><td><code>|: ... :|</code></td><td>repeat</td></tr>
<tr><td><code>|1 ... :|2 ... ||</code></td><td>first and second endings</td></tr>
</table>
<p>A tune book is several tunes, each from its <code>X:</code> line to the next empty line.
Comments start with <code>%</code>.</p>
"""


def shortcuts_html(actions: Iterable[QAction]) -> str:
    """A table of every action that has a shortcut, as the window defines them."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            label = html.escape(action.text().replace("&", "").rstrip("…"))
            rows.append(f"<tr><td>{label}</td><td><b>{html.escape(' / '.join(keys))}</b></td></tr>")
    return "<h3>Keyboard shortcuts</h3><table cellpadding='3'>" + "".join(rows) + "</table>"


def app_version() -> str:
    from importlib import metadata  # when About is opened, not on the way to the window

    try:
        return metadata.version("composeium-desktop")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def model_summary(model_dir: Path) -> str:
    """What the shipped model is, from its config.json (or why there is none)."""
    config = model_dir / "config.json"
    if not config.is_file():
        return f"No model in {html.escape(str(model_dir))}."
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"Model config unreadable: {html.escape(str(exc))}"
    keys = ("encoder_layers", "decoder_layers", "d_model", "num_heads", "vocab_size")
    model = data if isinstance(data, dict) else {}
    parts = [f"{k}={model[k]}" for k in keys if k in model]
    detail = ", ".join(parts) if parts else "encoder-decoder Transformer"
    return f"Transformer encoder-decoder writing ABC ({html.escape(detail)}), in {html.escape(str(model_dir))}."


def about_html(model_dir: Path) -> str:
    return f"""
<h2>Composeium Desktop {html.escape(app_version())}</h2>
<p>An offline composer for folk tunes: a Transformer writes ABC, Verovio engraves it,
FluidSynth plays it.</p>
<p><b>Model:</b> {model_summary(model_dir)}</p>
<h3>Licences</h3>
<ul>
<li><b>Training data:</b> the ABC collections bundled with music21. <b>The Essen Folksong
Collection is licensed for non-commercial use only</b>, and it is most of the data: the
shipped model is therefore <b>for non-commercial use only</b>. Retrain on your own tunes
(<code>composeium train --corpus ...</code>) for other uses. O'Neill's tune books are in the
public domain.</li>
<li>Verovio (LGPL-3.0), FluidSynth (LGPL-2.1), Qt for Python / PySide6 (LGPL-3.0),
music21 (BSD-3-Clause), Keras (Apache-2.0).</li>
<li>The SoundFont used for playback carries its own licence.</li>
</ul>
"""


class HelpDialog(QDialog):
    """A page of rich text with a Close button."""

    def __init__(self, title: str, body_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 620)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(body_html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)


def open_help(
    page: str, actions: Iterable[QAction], model_dir: Path, parent: QWidget
) -> HelpDialog:
    """Open a Help page ("shortcuts", "abc" or "about"), not modal; `actions` are the window's
    (their shortcuts are listed), `model_dir` the model the About page describes."""
    titles = {"shortcuts": "Keyboard shortcuts", "abc": "ABC reference", "about": "About"}
    if page == "shortcuts":
        body = shortcuts_html(actions)
    elif page == "abc":
        body = ABC_REFERENCE
    else:
        body = about_html(model_dir)
    dialog = HelpDialog(titles[page], body, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
