"""The training corpus: music21's folk collections (plus the user's ABC files) as TuneRecords.

- ``sources``: which files (music21's essenFolksong, oneills1850, airdsAirs, ryansMammoth and
  miscFolk, read in place; Essen is licensed for non-commercial use only).
- ``records``: one tune -> TuneRecord (normalised body transposed to tonic C, genre, split).
- ``genres``: the documented genre mapping.
- ``loading``: the whole corpus, deduplicated, cached in the user data folder.
- ``stats``: the table printed by ``composeium corpus --stats``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composeium_desktop.core.corpus.genres import GENRES, genre_from_text, genre_of
    from composeium_desktop.core.corpus.loading import (
        CorpusReport,
        deduplicate,
        load_corpus,
        load_corpus_report,
    )
    from composeium_desktop.core.corpus.records import (
        NORMALISED_TONIC,
        SPLITS,
        TuneRecord,
        record_from_tune,
        records_and_skips,
        records_from_abc_text,
        shift_to_c,
        split_of,
        tonic_pitch_class,
    )
    from composeium_desktop.core.corpus.sources import MUSIC21_COLLECTIONS, music21_corpus_dir

# Each name is imported from its module when first asked for, so that a module needing only
# ``records`` or ``wellformed`` (the decoder, on the app's start-up path) does not also import
# the corpus loader (multiprocessing, hashing, music21's paths).
_MODULE_OF = {
    "GENRES": "genres",
    "genre_from_text": "genres",
    "genre_of": "genres",
    "CorpusReport": "loading",
    "deduplicate": "loading",
    "load_corpus": "loading",
    "load_corpus_report": "loading",
    "NORMALISED_TONIC": "records",
    "SPLITS": "records",
    "TuneRecord": "records",
    "record_from_tune": "records",
    "records_and_skips": "records",
    "records_from_abc_text": "records",
    "shift_to_c": "records",
    "split_of": "records",
    "tonic_pitch_class": "records",
    "MUSIC21_COLLECTIONS": "sources",
    "music21_corpus_dir": "sources",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "GENRES",
    "MUSIC21_COLLECTIONS",
    "NORMALISED_TONIC",
    "SPLITS",
    "CorpusReport",
    "TuneRecord",
    "deduplicate",
    "genre_from_text",
    "genre_of",
    "load_corpus",
    "load_corpus_report",
    "music21_corpus_dir",
    "record_from_tune",
    "records_and_skips",
    "records_from_abc_text",
    "shift_to_c",
    "split_of",
    "tonic_pitch_class",
]
