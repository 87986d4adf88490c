"""The one atomic write, and the one reader of text files a user hands us.

Every file the application writes (saves, autosave, exports, generated tune books, render
output, model and tokenizer files, training history) goes through this module:

1. a temporary file is created in the destination folder (so the rename cannot cross a
   file system),
2. the content is written, flushed and fsynced,
3. the temporary file gets the permissions of a normal new file under the user's umask
   (0644 under umask 022; `tempfile.mkstemp` alone would leave it 0600),
4. it is renamed over the destination (`os.replace`, atomic on POSIX and Windows),
5. the folder is fsynced where the platform supports it, so the rename itself is durable.

On any failure the temporary file is removed and the old destination file, if any, is left
exactly as it was. Readers never see half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".part"


class NotTextError(ValueError):
    """A file that is not UTF-8 text (binary, or another encoding); `message` says why."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def default_file_mode() -> int:
    """The mode a newly created regular file gets under the current umask (0o644 for 022)."""
    # os.umask can only be read by setting it; put it straight back.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable; a no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _folder_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _commit(tmp: Path, target: Path) -> None:
    """Give `tmp` normal permissions, rename it over `target`, fsync the folder."""
    os.chmod(tmp, default_file_mode())
    os.replace(tmp, target)
    _fsync_folder(_folder_of(target))


def _fsync_path(path: Path) -> None:
    """fsync a file that a library wrote by name (and closed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = TEMP_SUFFIX) -> Iterator[Path]:
    """Yield a temporary path next to `path` for a library that writes by file name
    (Keras `model.save`, SentencePiece); when the block ends without an error the file is
    fsynced and renamed to `path`, otherwise removed. `suffix` is the temporary name's ending
    (Keras insists on `.keras`)."""
    target = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=_folder_of(target))
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_path(tmp)
        _commit(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file to write `path`'s new content into; see the module docstring."""
    target = Path(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=_folder_of(target)
    )
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _commit(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call `write(file)` on a temporary binary file next to `path`, then rename it to `path`."""
    target = Path(path)
    with atomic_open(target) as handle:
        write(handle)
    return target


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically replace `path` with `data`."""
    return atomic_write(path, lambda handle: handle.write(data))


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Atomically replace `path` with `text` (newlines written as given, no translation)."""
    return write_bytes(path, text.encode(encoding))


_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or C0 control characters that no text file holds (ignoring tab, CR, LF, FF)."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return (controls > 0 and controls * 100 >= len(head)) or controls > 32


def _utf8_error(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return f"byte 0x{data[exc.start]:02x} at line {line}, column {col}"


def decode_abc(path: Path, data: bytes) -> tuple[str, str]:
    """`data` (read from `path`) as text, byte for byte, and the encoding used: UTF-8 or, for
    an older 8-bit tune book, Latin-1. Raises NotTextError for a binary file."""
    if _looks_binary(data):
        raise NotTextError(path, "this is a binary file, not ABC text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped).

    Raises NotTextError, with a message a user can act on, for a binary file or one in
    another encoding, and OSError when the file cannot be read."""
    source = Path(path)
    data = source.read_bytes()
    if _looks_binary(data):
        raise NotTextError(source, "this is a binary file, not ABC text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotTextError(
            source,
            f"not UTF-8 text ({_utf8_error(data, exc)}); save it as UTF-8 and try again",
        ) from None
    return text.removeprefix("\ufeff")
