"""Where the corpus's ABC files are: music21's bundled collections and the user's own files.

The music21 collections are read in place from the installed music21 package; nothing is
copied into this repository.

Licences: the Essen folksong collection (``essenFolksong``) is distributed with music21 by
permission of Prof. Ewa Dahlig-Turek for NON-COMMERCIAL use only (see
``music21/corpus/essenFolksong/license.txt``); a model trained on it inherits that restriction.
O'Neill's 1850, Aird's Airs, Ryan's Mammoth Collection and the miscFolk files are
transcriptions of public-domain books.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MUSIC21_COLLECTIONS = ("essenFolksong", "oneills1850", "airdsAirs", "ryansMammoth", "miscFolk")
ABC_SUFFIXES = (".abc",)


@dataclass(frozen=True)
class SourceFile:
    """One ABC file and the collection its tunes are counted under."""

    path: Path
    collection: str


def music21_corpus_dir() -> Path:
    """The installed music21 package's bundled corpus folder."""
    import music21

    return Path(next(iter(music21.__path__))) / "corpus"


def music21_version() -> str:
    import music21

    return str(music21.__version__)


def _abc_files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ABC_SUFFIXES)


def music21_sources() -> list[SourceFile]:
    """Every .abc file of the five bundled collections, in a fixed order."""
    root = music21_corpus_dir()
    files: list[SourceFile] = []
    for collection in MUSIC21_COLLECTIONS:
        folder = root / collection
        if not folder.is_dir():
            raise FileNotFoundError(f"music21 corpus collection not found: {folder}")
        files.extend(SourceFile(path, collection) for path in _abc_files_under(folder))
    return files


def user_sources(paths: Iterable[Path]) -> list[SourceFile]:
    """ABC files named by the user: a file counts as collection <its stem>, a folder's files
    (searched recursively) as collection <the folder's name>."""
    files: list[SourceFile] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = _abc_files_under(path)
            if not found:
                raise FileNotFoundError(f"no .abc files under {path}")
            files.extend(SourceFile(p, path.resolve().name) for p in found)
        elif path.is_file():
            files.append(SourceFile(path, path.stem))
        else:
            raise FileNotFoundError(f"no such ABC file or folder: {path}")
    return files


def all_sources(extra_paths: Sequence[Path] = (), include_music21: bool = True) -> list[SourceFile]:
    """The music21 collections (optionally) followed by the user's files."""
    return (music21_sources() if include_music21 else []) + user_sources(extra_paths)
