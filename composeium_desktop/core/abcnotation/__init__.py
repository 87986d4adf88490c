"""ABC notation core (ABC 2.1 as folk tunes use it): no Qt, pure Python.

Tune books and headers (:func:`split_tunebook`, :func:`parse_tune`, :class:`Tune`), keys and
meters (:func:`normalise_key`, :func:`parse_key`, :func:`normalise_meter`), the body lexer
(:func:`lex`, :class:`Token`), transposition (:func:`transpose_body`, :func:`transpose_tune`)
and training normalisation (:func:`normalise_body`).  Every problem in ABC text is raised as
:class:`ABCError` with a 1-based line and column.
"""

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
from composeium_desktop.core.abcnotation.normalise import TRAIN_UNIT, normalise_body
from composeium_desktop.core.abcnotation.transpose import (
    note_midi,
    transpose_body,
    transpose_symbol,
    transpose_tune,
    transposed_key,
)

__all__ = [
    "MODES",
    "TONICS",
    "TRAIN_UNIT",
    "ABCError",
    "KeySpec",
    "Token",
    "Tune",
    "conventional_tonic",
    "default_unit_length",
    "format_fraction",
    "format_length",
    "key_name",
    "key_signature",
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
]
