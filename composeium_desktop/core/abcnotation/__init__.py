"""ABC notation core (ABC 2.1 as folk tunes use it): no Qt, pure Python.

* Tune books and headers: :func:`split_tunebook`, :func:`parse_tune`, :class:`Tune`; keys and
  meters: :func:`normalise_key`, :func:`parse_key`, :func:`key_name`, :func:`normalise_meter`,
  :func:`default_unit_length`, :func:`parse_tempo`.
* The body lexer :func:`lex` -> list of :class:`Token` (kind, text, line, col, length, data;
  kinds listed in :mod:`~composeium_desktop.core.abcnotation.lexer`).
* Bars: :func:`bar_lengths` / :func:`bar_errors` -> :class:`BarInfo` (lengths in whole notes;
  pickups, section ends and repeats as :mod:`~composeium_desktop.core.abcnotation.bars` says).
* Transposition: :func:`transpose_body`, :func:`transpose_tune`, :func:`transposed_key`; to a
  named key :func:`transpose_tune_to` (:func:`semitones_to_key`, :func:`instrument_keys`), a
  selection :func:`transpose_passage`, by :data:`INTERVALS`.
* Training normalisation: :func:`normalise_body`, :func:`drop_text_symbols` (rules in
  :mod:`~composeium_desktop.core.abcnotation.normalise`).
* Melody: :func:`last_note_pc`, :func:`ends_on_tonic` (the one "ends on the tonic").
* Editor marks: :func:`validate` -> list of :class:`ABCError` (never raises).

Every problem in ABC text is raised as :class:`ABCError` with a 1-based line and column.

Incremental use (constrained decoding): :class:`BarTracker` is an immutable state::

    t = BarTracker.start(meter="6/8", unit="1/8")      # strict by default
    t = t.feed("|:A2B c")                              # new tracker, or ABCError
    t.bar_elapsed, t.bar_expected, t.bar_remaining     # Fractions of a whole note
    t.open_constructs                                  # e.g. ("slur", "tuplet", "chord")
    t.bar_line_legal("|"), t.can_feed("d2"), t.can_end()
    t.pending                                          # unfinished last token ("c" may grow)

``feed`` accepts text cut anywhere (a piece may stop inside a note, quote or decoration); in
strict mode it raises when a bar line would close a bar of the wrong length or a note makes a
bar too long, so ``can_feed(piece)`` is the one check a decoder needs per candidate.
"""

from composeium_desktop.core.abcnotation.bars import BarInfo, bar_errors, bar_lengths
from composeium_desktop.core.abcnotation.errors import ABCError
from composeium_desktop.core.abcnotation.header import (
    Tune,
    default_unit_length,
    format_fraction,
    meter_fraction,
    normalise_meter,
    parse_tempo,
    parse_tune,
    parse_unit,
    split_tunebook,
)
from composeium_desktop.core.abcnotation.keys import (
    MODES,
    TONICS,
    KeySpec,
    conventional_tonic,
    key_name,
    key_signature,
    normalise_key,
    parse_key,
    tonic_pc,
)
from composeium_desktop.core.abcnotation.lexer import Token, format_length, lex, parse_length
from composeium_desktop.core.abcnotation.melody import ends_on_tonic, last_note_pc
from composeium_desktop.core.abcnotation.normalise import (
    TRAIN_UNIT,
    drop_text_symbols,
    is_chord_symbol,
    normalise_body,
)
from composeium_desktop.core.abcnotation.tracker import BarTracker
from composeium_desktop.core.abcnotation.transpose import (
    INTERVALS,
    instrument_keys,
    note_midi,
    semitones_to_key,
    transpose_body,
    transpose_passage,
    transpose_symbol,
    transpose_tune,
    transpose_tune_to,
    transposed_key,
)
from composeium_desktop.core.abcnotation.validate import validate

__all__ = [
    "BarInfo",
    "BarTracker",
    "bar_errors",
    "bar_lengths",
    "validate",
    "MODES",
    "TONICS",
    "TRAIN_UNIT",
    "ABCError",
    "KeySpec",
    "Token",
    "Tune",
    "conventional_tonic",
    "default_unit_length",
    "drop_text_symbols",
    "ends_on_tonic",
    "format_fraction",
    "format_length",
    "is_chord_symbol",
    "key_name",
    "key_signature",
    "last_note_pc",
    "lex",
    "meter_fraction",
    "normalise_body",
    "normalise_key",
    "normalise_meter",
    "note_midi",
    "parse_key",
    "parse_length",
    "parse_tempo",
    "parse_tune",
    "parse_unit",
    "split_tunebook",
    "tonic_pc",
    "transpose_body",
    "transpose_symbol",
    "transpose_tune",
    "transposed_key",
    "INTERVALS",
    "instrument_keys",
    "semitones_to_key",
    "transpose_passage",
    "transpose_tune_to",
]
