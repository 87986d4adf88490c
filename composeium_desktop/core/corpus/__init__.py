"""The training corpus: music21's folk collections (plus the user's ABC files) as TuneRecords.

- ``sources``: which files (music21's essenFolksong, oneills1850, airdsAirs, ryansMammoth and
  miscFolk, read in place; Essen is licensed for non-commercial use only).
- ``records``: one tune -> TuneRecord (normalised body transposed to tonic C, genre, split).
- ``genres``: the documented genre mapping.
- ``loading``: the whole corpus, deduplicated, cached in the user data folder.
- ``stats``: the table printed by ``composeium corpus --stats``.
"""

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
