"""What a user asks the generator for, the choices it accepts, and the tune written from it.

A ``GenerationRequest`` (title, key, meter, genre, tempo, sampling, prime) is checked by
``validate_request`` into a ``KeyChoice``; ``format_tune`` writes the header fields around a
generated body and ``tune_book`` joins tunes. Nothing here needs the model or TensorFlow, so the
GUI form and the CLI validate before anything slow is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composeium_desktop.core.abcnotation import TRAIN_UNIT
from composeium_desktop.core.features.metric import MAX_BARS, MIN_BARS
from composeium_desktop.core.generation.form_plan import FormPlan, check_form

"""Lengths a user may ask for (the decoder's ``to_go`` feature counts up to 126 bars)."""

OFFERED_MODES = ("major", "minor", "dorian", "mixolydian", "lydian", "phrygian", "locrian")
OFFERED_METERS = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2", "3/8", "3/2", "6/4")
_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])([#b]?)\s*(m|min|minor|maj|major|ion|ionian|aeo|aeolian|dor|dorian"
    r"|mix|mixolydian|lyd|lydian|phr|phrygian|loc|locrian)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GenerationRequest:
    """What to write. ``key`` in ABC spelling (D, Em, F#m, Bb, Ador, Amix); ``prime`` is an
    ABC body prefix (unit L:1/8) in that key to continue from; ``bars`` the length in written
    bars (bar lines), None to draw one like the corpus's tunes of that meter and genre;
    ``form`` the parts to write (``form_plan.default_form(genre)`` is the app's choice), None for
    a free form. A form sets the length (its parts' bars), so ``bars`` must then agree or be
    None."""

    title: str = "Untitled"
    key: str = "D"
    meter: str = "6/8"
    genre: str = "jig"
    tempo: int | None = None
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 0.95
    seed: int | None = None
    max_tokens: int = 512
    prime: str = ""
    constrained: bool = True
    bars: int | None = None
    form: FormPlan | None = None


@dataclass(frozen=True)
class KeyChoice:
    """A requested key resolved: ABC name, tonic spelling, mode and shift from C."""

    name: str
    tonic: str
    mode: str
    semitones: int


# Choices and validation (no TensorFlow needed).


def _genres() -> tuple[str, ...]:
    from composeium_desktop.core.corpus.genres import GENRES

    return tuple(GENRES)


def list_choices() -> dict[str, list[str]]:
    """Accepted keys, modes, meters and genres (for `generate --list` and the GUI form)."""
    from composeium_desktop.core.abcnotation.keys import TONICS, key_name

    keys = [key_name(t, m) for m in OFFERED_MODES for t in TONICS]
    return {
        "keys": keys,
        "modes": list(OFFERED_MODES),
        "meters": list(OFFERED_METERS),
        "genres": list(_genres()),
    }


def resolve_key(key: str) -> KeyChoice:
    """Parse a requested key; ValueError (one line saying what is accepted) if it is not one."""
    from composeium_desktop.core.abcnotation.keys import key_name, parse_key, tonic_pc

    if not _KEY_RE.match(key or ""):
        raise ValueError(
            f"unknown key {key!r}: use a tonic A-G with optional # or b and an optional mode "
            f"(m, dor, mix, lyd, phr, loc), e.g. D, Em, F#m, Bb, Ador, Amix"
        )
    spec = parse_key(key.strip())
    if spec.mode not in OFFERED_MODES:
        raise ValueError(f"unknown mode in key {key!r}: modes are {', '.join(OFFERED_MODES)}")
    shift = tonic_pc(spec.tonic) % 12
    if shift > 6:
        shift -= 12
    return KeyChoice(key_name(spec.tonic, spec.mode), spec.tonic, spec.mode, shift)


def validate_request(request: GenerationRequest) -> KeyChoice:
    """Checks the request's choices; raises ValueError with one line on the first problem."""
    choice = resolve_key(request.key)
    if request.meter not in OFFERED_METERS:
        raise ValueError(f"unknown meter {request.meter!r}: meters are {', '.join(OFFERED_METERS)}")
    if request.genre not in _genres():
        raise ValueError(f"unknown genre {request.genre!r}: genres are {', '.join(_genres())}")
    if request.tempo is not None and not 20 <= request.tempo <= 400:
        raise ValueError("tempo must be between 20 and 400 beats per minute")
    if request.temperature < 0:
        raise ValueError("temperature must be >= 0 (0 = greedy)")
    if request.top_k < 0:
        raise ValueError("top-k must be >= 0 (0 = off)")
    if not 0 < request.top_p <= 1:
        raise ValueError("top-p must be in (0, 1]")
    if request.max_tokens < 8:
        raise ValueError("max tokens must be at least 8")
    if request.bars is not None and not MIN_BARS <= request.bars <= MAX_BARS:
        raise ValueError(f"bars must be between {MIN_BARS} and {MAX_BARS}")
    if request.form is not None:
        check_form(request.form)
        # Bars as a musician counts them (16 for AABB, 8+8), or as written (second endings
        # and returning parts included).
        total, written = request.form.musician_bars, request.form.tune_bars
        if request.bars is not None and request.bars not in (total, written):
            raise ValueError(
                f"form {request.form.label()} has {total} bars, not {request.bars}: "
                "leave bars out or ask for a free form"
            )
        if written > MAX_BARS:
            raise ValueError(f"form {request.form.label()} is longer than {MAX_BARS} bars")
    return choice


def tempo_field(meter: str, bpm: int) -> str:
    """Q: value with the meter's beat: 6/8 -> "3/8=bpm", 2/2 -> "1/2=bpm", 3/4 -> "1/4=bpm"."""
    num, den = (int(x) for x in meter.split("/"))
    beat = "3/8" if den == 8 and num % 3 == 0 else f"1/{den}"
    return f"{beat}={bpm}"


def format_tune(request: GenerationRequest, key_name: str, body: str, number: int = 1) -> str:
    """The complete tune: X, T, M, L, R, Q (if a tempo), K, then the body."""
    lines = [
        f"X:{number}",
        f"T:{request.title.strip() or 'Untitled'}",
        f"M:{request.meter}",
        f"L:{TRAIN_UNIT}",
        f"R:{request.genre}",
    ]
    if request.tempo is not None:
        lines.append(f"Q:{tempo_field(request.meter, request.tempo)}")
    lines.append(f"K:{key_name}")
    return "\n".join(lines) + "\n" + body.rstrip("\n") + "\n"


def tune_book(tunes: list[str]) -> str:
    """Tunes joined into a book, renumbered X:1..N, separated by blank lines."""
    out = []
    for i, tune in enumerate(tunes, 1):
        out.append(re.sub(r"^X:\s*\d+", f"X:{i}", tune.strip("\n"), count=1))
    return "\n\n".join(out) + "\n"
