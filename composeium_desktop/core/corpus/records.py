"""ABC text -> training records: normalised, transposed to tonic C, labelled and split.

Mode normalisation: every tune is transposed so that its tonic becomes C while its mode is
kept (a tune in E minor becomes C minor, one in A mixolydian C mixolydian). The model then
learns each mode from all the tunes in that mode, whatever key they were written in, and the
app can deliver any requested key by transposing what the model writes (one transposition,
done by the notation core, which respells notes in the target key signature). The shift is
the one in -6..+5 semitones that reaches C, i.e. the smallest move of the pitch range, so the
transposed tune stays near its original register. The original key and tonic stay in the
record as metadata. The Essen collection writes every tune in a major key with the scale's
accidentals on the notes, so its modes are inferred (see ``corpus.modes``), and every body's
accidentals that its key signature already implies are dropped.

A tune is skipped (and counted, by reason) when it has no usable key or meter, has several
voices, has an empty body, or the lexer or transposition rejects it.

Quoted text that is no chord symbol (violin fingerings "4", "0", signs "Segno", "tr": 1% of
the characters, in 6% of the tunes, mostly Ryan's Mammoth) is dropped from the body last: the
model should write melodies, not guess at fingerings, and such text was most of what made
its unconstrained output unreadable (unclosed quotes).

The split is a pure function of the transposed body as it was before that text was dropped:
the first 8 bytes of its SHA-256 taken modulo 100 give train (0-89), validation (90-94) or test
(95-99), the same on every run and machine. Hashing the body with its fingerings keeps every
tune in the split it had when the shipped model's first stages were trained, so none of its
validation or test tunes has been trained on.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from composeium_desktop.core import abcnotation
from composeium_desktop.core.corpus.genres import genre_of
from composeium_desktop.core.corpus.modes import (
    MODELESS_COLLECTIONS,
    drop_redundant_accidentals,
    infer_mode_in_c,
    pitch_class_counts,
)

NORMALISED_TONIC = "C"
SPLITS = ("train", "validation", "test")

_LETTER_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_METER_RE = re.compile(r"^\d+/\d+$")
_VOICE_RE = re.compile(r"(^|\n)\s*V:|\[V:")
_NOTE_RE = re.compile(r"[A-Ga-gz]")


@dataclass(frozen=True)
class TuneRecord:
    """One training tune: metadata plus its normalised body transposed to tonic C."""

    title: str
    key: str
    tonic: str
    mode: str
    meter: str
    genre: str
    collection: str
    body: str
    split: str


class SkippedTune(Exception):
    """A tune the corpus leaves out; str() is the reason counted in the statistics."""


def tonic_pitch_class(tonic: str) -> int:
    """0-11 for a tonic spelled like "C", "F#", "Bb" (any number of # or b)."""
    letter, accidentals = tonic[:1].upper(), tonic[1:]
    if letter not in _LETTER_PITCH or any(ch not in "#b" for ch in accidentals):
        raise ValueError(f"not a tonic: {tonic!r}")
    return (_LETTER_PITCH[letter] + accidentals.count("#") - accidentals.count("b")) % 12


def shift_to_c(tonic: str) -> int:
    """Semitones in -6..+5 that move this tonic to C."""
    return (-tonic_pitch_class(tonic) + 6) % 12 - 6


def split_of(body: str) -> str:
    """The body's split (train 90%, validation 5%, test 5%) from a stable hash of its text."""
    bucket = int.from_bytes(hashlib.sha256(body.encode("utf-8")).digest()[:8], "big") % 100
    if bucket < 90:
        return "train"
    return "validation" if bucket < 95 else "test"


def _has_voices(tune: abcnotation.Tune) -> bool:
    return any(name == "V" for name, _ in tune.fields) or bool(_VOICE_RE.search(tune.body))


def _usable_key(tune: abcnotation.Tune, collection: str) -> tuple[abcnotation.KeySpec, str]:
    """The key and the K: text it was read from (explicit accidentals included)."""
    raw = next((value.strip() for name, value in tune.fields if name == "K"), tune.key)
    # In the German-language Essen files "H" is B natural, not the bagpipe key.
    key = "B" if collection in MODELESS_COLLECTIONS and raw == "H" else raw
    try:
        spec = abcnotation.parse_key(key)
        tonic_pitch_class(spec.tonic)
    except (abcnotation.ABCError, ValueError) as exc:
        raise SkippedTune("no usable key (K:)") from exc
    if spec.none:
        raise SkippedTune("no usable key (K:)")
    return spec, key


def _checked_body(tune: abcnotation.Tune) -> str:
    if not _METER_RE.match(tune.meter or ""):
        raise SkippedTune("no usable meter (M:)")
    try:
        body = abcnotation.normalise_body(tune)
        abcnotation.lex(body)
    except abcnotation.ABCError as exc:
        raise SkippedTune("lexer error") from exc
    return body


def _to_tonic_c(
    body: str, spec: abcnotation.KeySpec, source: str, collection: str
) -> tuple[str, str]:
    """(body transposed to tonic C with its mode's signature, the mode)."""
    mode = spec.mode
    target = abcnotation.key_name(NORMALISED_TONIC, mode)
    try:
        moved = abcnotation.transpose_body(body, shift_to_c(spec.tonic), source, target)
        if collection in MODELESS_COLLECTIONS and mode == "major" and not spec.extra:
            mode = infer_mode_in_c(pitch_class_counts(moved, target))
            if mode != spec.mode:
                respelled = abcnotation.key_name(NORMALISED_TONIC, mode)
                moved = abcnotation.transpose_body(moved, 0, target, respelled)
                target = respelled
        moved = drop_redundant_accidentals(moved, target)
        abcnotation.lex(moved)
    except (abcnotation.ABCError, ValueError) as exc:
        raise SkippedTune("transposition error") from exc
    return moved, mode


def record_from_tune(tune: abcnotation.Tune, collection: str) -> TuneRecord:
    """The tune's training record; raises SkippedTune with the reason when it is left out."""
    if _has_voices(tune):
        raise SkippedTune("several voices (V:)")
    spec, key_text = _usable_key(tune, collection)
    moved, mode = _to_tonic_c(_checked_body(tune), spec, key_text, collection)
    body = abcnotation.drop_text_symbols(moved)
    if not _NOTE_RE.search(body):  # checked last: words in quotes are no notes
        raise SkippedTune("empty body")
    return TuneRecord(
        title=tune.title.strip(),
        key=abcnotation.key_name(spec.tonic, mode),
        tonic=spec.tonic,
        mode=mode,
        meter=tune.meter,
        genre=genre_of(tune.rhythm, tune.title, collection, tune.meter, tune.number),
        collection=collection,
        body=body,
        split=split_of(moved),
    )


def records_and_skips(text: str, collection: str) -> tuple[list[TuneRecord], Counter[str]]:
    """Every usable tune of an ABC text (a tune book or one tune), and the skip counts."""
    records: list[TuneRecord] = []
    skipped: Counter[str] = Counter()
    try:
        tunes = abcnotation.split_tunebook(text)
    except abcnotation.ABCError:
        skipped["unreadable file"] += 1
        return records, skipped
    for tune in tunes:
        try:
            records.append(record_from_tune(tune, collection))
        except SkippedTune as exc:
            skipped[str(exc)] += 1
        except Exception as exc:  # noqa: BLE001 - one odd tune must not stop a corpus build
            skipped[f"internal error ({type(exc).__name__})"] += 1
    return records, skipped


def records_from_abc_text(text: str, collection: str) -> list[TuneRecord]:
    """Every usable tune of an ABC text as a record (no deduplication); skipped tunes dropped."""
    return records_and_skips(text, collection)[0]
