"""Files written whole or not at all: the low-level helper every writer of run evidence and vaults uses."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half of it."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file owner-only (O_EXCL, never someone else's file); non-private files are
        # then made readable like any other.
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the temp file may already be gone; the original error matters
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Best effort: some platforms cannot open a directory for fsync.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class FileTooLarge(OSError):
    """A file over the size its reader accepts (an OSError, so every reader's "cannot read" path reports it)."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"it is larger than {_size(limit)}, more than this kind of file ever needs")
        self.strerror = str(self)
        self.filename = str(path)
        self.limit = limit


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, reading at most ``limit`` + 1 of them: a device (``/dev/zero``) or a huge file
    is refused with FileTooLarge, in bounded time and memory, instead of being read to its end."""
    with Path(path).open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(Path(path), limit)
    return data
