"""Where a generated tune came from, written into its ABC so that it can be written again.

``provenance_lines`` gives two header lines for a request the model wrote: a human-readable
``N:`` line and a machine-readable ``%%composeium`` line of ``name=value`` words holding every
field of the ``GenerationRequest`` that decides the notes (title, key, meter and genre as the
model read them, sampling, seed, form, length, prime), the model's identity and the chord
style added afterwards. ``add_provenance`` puts them before the tune's ``K:`` line;
``read_provenance`` reads them back into a ``Provenance`` whose request, given to the same
model, writes the same tune token for token (``chords`` says how to harmonise it again).
Chord symbols added to the body afterwards change nothing here: the model's melody is the
body with them stripped.

The decoder's own ``step.abc`` carries no provenance (the golden tunes compare it byte for
byte); the CLI and the window add it where they format the tune for the user.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from composeium_desktop.core.generation.form_plan import FormPlan
from composeium_desktop.core.generation.request import GenerationRequest

DIRECTIVE = "%%composeium"
NOTE_PREFIX = "N:Composeium"
MODEL_FILE = "composeium.keras"
_WORD_RE = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|\S+)')
_STAGE_RE = re.compile(r"\(stage (\d+)\)")
# Fields read as text (quoted, since they may hold spaces) and as numbers.
_TEXT = ("title", "key", "meter", "genre", "prime")


@dataclass(frozen=True)
class ModelIdentity:
    """Which model wrote a tune: a SHA-256 prefix of its weights and the card's stage."""

    digest: str
    stage: str = ""

    def describe(self) -> str:
        stage = f"stage {self.stage} " if self.stage else ""
        return f"{stage}(sha256 {self.digest})"


@dataclass(frozen=True)
class Provenance:
    """What a tune's provenance lines say: the request, the model, the chords added."""

    request: GenerationRequest
    model: str = ""  # the SHA-256 prefix of the weights ("" when not recorded)
    chords: str = ""  # the chord style added afterwards ("" for none)


def model_identity(model_dir: Path | str) -> ModelIdentity:
    """The identity of the model in ``model_dir`` (hashes its weights once per file version)."""
    folder = Path(model_dir)
    weights = folder / MODEL_FILE
    stat = weights.stat()
    return _identity(str(folder), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _identity(folder: str, _mtime: int, _size: int) -> ModelIdentity:
    digest = hashlib.sha256((Path(folder) / MODEL_FILE).read_bytes()).hexdigest()[:12]
    stage = ""
    card = Path(folder) / "README.md"
    if card.is_file():
        first = card.read_text(encoding="utf-8").splitlines()[:1]
        found = _STAGE_RE.search(first[0]) if first else None
        stage = found.group(1) if found else ""
    return ModelIdentity(digest, stage)


def _value(value: object) -> str:
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def provenance_lines(
    request: GenerationRequest, model: ModelIdentity | None = None, chords: str = ""
) -> list[str]:
    """The ``N:`` and ``%%composeium`` lines for a tune written from ``request`` (whose seed
    must be the one used)."""
    if request.seed is None:
        raise ValueError("provenance needs the seed actually used, not None")
    form = request.form
    words = [f"model={model.digest}"] if model is not None else []
    words += [f"{name}={json.dumps(getattr(request, name))}" for name in _TEXT[:4]]
    words += [
        f"seed={request.seed}",
        f"temperature={_value(request.temperature)}",
        f"top_p={_value(request.top_p)}",
        f"top_k={request.top_k}",
        f"max_tokens={request.max_tokens}",
        f"form={form.parts if form else 'free'}",
    ]
    if form is not None:
        words += [f"part_bars={form.part_bars}", f"pickup={_value(form.pickup)}"]
        if form.endings:
            words.append(f"endings={form.endings}")
    words += [
        f"bars={_value(request.bars)}",
        f"tempo={_value(request.tempo)}",
        f"constrained={_value(request.constrained)}",
        f"chords={chords or 'none'}",
    ]
    if request.prime:
        words.append(f"prime={json.dumps(request.prime)}")
    return [_note_line(request, model, chords), " ".join([DIRECTIVE, *words])]


def _note_line(request: GenerationRequest, model: ModelIdentity | None, chords: str) -> str:
    form = request.form
    if form is not None:
        shape = f"form {form.parts} " + "+".join(str(form.part_bars) for _ in form.written_parts)
        shape += ", pickup" if form.pickup else ", no pickup"
        shape += f", endings of {form.endings} bars" if form.endings else ""
    elif request.bars is not None:
        shape = f"free form, {request.bars} bars"
    else:
        shape = "free form, length drawn"
    parts = [
        f"model {model.describe()}" if model is not None else "",
        f"seed {request.seed}",
        f"temperature {request.temperature:g}",
        f"top-p {request.top_p:g}",
        f"top-k {request.top_k}" if request.top_k else "",
        shape,
        f"{chords} chords added" if chords else "",
        "continued from a prime" if request.prime else "",
    ]
    return f"{NOTE_PREFIX} " + ", ".join(part for part in parts if part)


def add_provenance(
    abc: str, request: GenerationRequest, model: ModelIdentity | None = None, chords: str = ""
) -> str:
    """``abc`` (one tune) with its provenance lines before its ``K:`` line (any old ones
    replaced)."""
    lines = strip_provenance(abc).split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if at is None:
        raise ValueError("the tune has no K: line")
    lines[at:at] = provenance_lines(request, model, chords)
    return "\n".join(lines)


def strip_provenance(abc: str) -> str:
    """``abc`` without its provenance lines."""
    kept = [
        line
        for line in abc.split("\n")
        if not (line.startswith(DIRECTIVE + " ") or line.startswith(NOTE_PREFIX + " "))
    ]
    return "\n".join(kept)


def has_provenance(abc: str) -> bool:
    return any(line.startswith(DIRECTIVE + " ") for line in abc.split("\n"))


def _words(line: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, raw in _WORD_RE.findall(line[len(DIRECTIVE) :]):
        out[name] = json.loads(raw) if raw.startswith('"') else raw
    return out


def _optional_int(text: str | None) -> int | None:
    return None if text in (None, "", "auto") else int(text)


def read_provenance(abc: str) -> Provenance | None:
    """The provenance of the first tune in ``abc`` that has one; None if none does.
    ValueError (one line) for a line that is not readable."""
    line = next((x for x in abc.split("\n") if x.startswith(DIRECTIVE + " ")), None)
    if line is None:
        return None
    words = _words(line)
    try:
        form = None
        if words.get("form", "free") != "free":
            form = FormPlan(
                words["form"],
                int(words.get("part_bars", 8)),
                words.get("pickup", "1") == "1",
                int(words.get("endings", 0)),
            )
        base = GenerationRequest()
        request = GenerationRequest(
            title=words.get("title", base.title),
            key=words.get("key", base.key),
            meter=words.get("meter", base.meter),
            genre=words.get("genre", base.genre),
            tempo=_optional_int(words.get("tempo")),
            temperature=float(words.get("temperature", 1.0)),
            top_k=int(words.get("top_k", 0)),
            top_p=float(words.get("top_p", 0.95)),
            seed=int(words["seed"]),
            max_tokens=int(words.get("max_tokens", 512)),
            prime=words.get("prime", ""),
            constrained=words.get("constrained", "1") == "1",
            bars=_optional_int(words.get("bars")),
            form=form,
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unreadable {DIRECTIVE} line: {exc}") from None
    chords = words.get("chords", "none")
    return Provenance(request, words.get("model", ""), "" if chords == "none" else chords)


def tune_texts(book: str) -> list[str]:
    """Each tune's text in a tune book (or the one tune of a text without X:)."""
    from composeium_desktop.core.abcnotation.header import tunebook_spans

    return [book[start:end] for start, end in tunebook_spans(book)]


def finish_tune(
    abc: str, request: GenerationRequest, model: ModelIdentity | None, chords: str = ""
) -> tuple[str, str]:
    """A newly written tune as the user gets it: its provenance lines, then chords in style
    ``chords`` ("" for none). Returns (text, note): the note says why chords were left out,
    and the provenance then records none, so that writing it again gives the same text."""
    from composeium_desktop.core.abcnotation.errors import ABCError
    from composeium_desktop.core.harmony.text import harmonise_tune_text

    if not chords:
        return add_provenance(abc, request, model), ""
    try:
        return harmonise_tune_text(add_provenance(abc, request, model, chords), chords), ""
    except ABCError as exc:
        return add_provenance(abc, request, model), f"kept without chords: {exc}"
