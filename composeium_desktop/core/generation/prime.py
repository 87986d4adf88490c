"""The prime a request may hold: read as the model's training text, and its chord symbols put
back into the finished tune (the model has never seen chord symbols)."""

from __future__ import annotations

import re

from composeium_desktop.core.generation.request import TRAIN_UNIT, GenerationRequest, KeyChoice


def normalised_prime(request: GenerationRequest, key: KeyChoice) -> str:
    """The prime as the model's training text (comments, decorations, odd units normalised by
    the notation core). A whole tune (with headers) or a body in the requested key."""
    from composeium_desktop.core.abcnotation import ABCError, normalise_body, parse_tune
    from composeium_desktop.core.harmony.text import strip_chords

    text = prime_tune_text(request, key)
    if not text.strip():
        return ""
    try:  # the model has never seen chord symbols: they are set aside (restore_prime_chords)
        return normalise_body(parse_tune(strip_chords(text)))
    except ABCError as exc:
        raise ValueError(f"prime: {exc}") from None


def prime_tune_text(request: GenerationRequest, key: KeyChoice) -> str:
    """The prime as a whole tune (a bare body gets the request's headers); "" for none."""
    text = request.prime.strip("\n")
    if not text.strip():
        return ""
    if not re.search(r"^K:", text, re.MULTILINE):
        text = f"X:1\nM:{request.meter}\nL:{TRAIN_UNIT}\nK:{key.name}\n{text}"
    return text


def restore_prime_chords(request: GenerationRequest, key: KeyChoice, body: str) -> str:
    """``body`` with the chord symbols the prime had put back before the notes at their
    onsets (the model read the prime without them)."""
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.harmony.text import chords_in_time, restore_chords_in_time

    text = prime_tune_text(request, key)
    if '"' not in text:
        return body
    try:
        chords = chords_in_time(text)
        return restore_chords_in_time(body, key.name, request.meter, TRAIN_UNIT, chords)
    except ABCError:
        return body  # the prime was read already; a body that does not lex keeps no chords
