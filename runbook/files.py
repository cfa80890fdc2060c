"""Files written whole or not at all, and read only when they are what they claim to be.

The low-level helpers every writer of run evidence and vaults, and every reader of a user's input, uses.

Reading (``read_capped``): only a regular file is read, and at most its cap plus one byte. A directory,
a named pipe (FIFO), a device (``/dev/zero``) or a socket is refused before anything is read from it,
in bounded time: its type is checked with ``stat`` before it is opened, then opened non-blocking (so a
FIFO swapped in between cannot make ``open`` wait for a writer) and checked again on the open descriptor.

Symbolic links: a file the user names on the command line (a run spec, an article, a certificate) may
be a link, as configuration files often are; the link is followed, and what it points at must still be
a regular file (a link to ``/dev/zero`` or to a FIFO is refused like the thing itself). Files the
runbook keeps for itself (``run.json``, ``plan.json``, step results and the spec copy in a run
directory; the secrets file, saved sessions, kept key pairs) are read with ``follow_symlinks=False``:
the runbook never made a link there, so a link means someone swapped the file, and it is refused.
Writing (``atomic_write``) replaces the final name with ``rename``, which replaces a link there rather
than writing through it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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


class NotRegularFile(OSError):
    """A path that is not a regular file (a directory, a FIFO, a device, a socket), or a symbolic link where
    links are refused; an OSError, so every reader's "cannot read" path reports it."""

    def __init__(self, path: Path, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(reason)
        self.errno = code
        self.strerror = self.reason = reason
        self.filename = str(path)

    def __str__(self) -> str:
        # Just the reason: callers name the file themselves, and "[Errno 22] ..." helps no one.
        return self.reason


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> NotRegularFile:
    kind = _kind(mode)
    code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
    return NotRegularFile(path, f"it is {kind}, not a regular file" if kind.startswith("a ") else f"it is {kind}", code)


def folder_problem(path: Path, exc: OSError) -> str:
    """Why no folder could be made (or written) at ``path``, for a message: the first part of the path that is
    not a folder (a file, ``/dev/null``, a link that loops), else what ``exc`` says (e.g. permission denied)."""
    path = Path(path)
    for part in [*reversed(path.parents), path]:
        try:
            mode = os.lstat(part).st_mode
        except OSError:
            break  # missing from here on: the cause is elsewhere
        if stat.S_ISLNK(mode):
            try:
                mode = os.stat(part).st_mode
            except OSError:
                return f"{part} is a symbolic link that loops or leads nowhere"
        if not stat.S_ISDIR(mode):
            return f"{part} is {_kind(mode)}, not a directory"
    return f"{exc.strerror or exc}"


def _symlink_refused(path: Path) -> NotRegularFile:
    return NotRegularFile(
        path,
        "it is a symbolic link, and the runbook does not follow links for this file (someone may have swapped it); "
        "replace the link with the file itself",
        errno.ELOOP,
    )


def open_regular(path: Path, *, follow_symlinks: bool = True) -> int:
    """An open, read-only descriptor of the regular file at ``path``; NotRegularFile for anything else.

    With ``follow_symlinks=False`` a symbolic link at ``path`` itself is refused (O_NOFOLLOW); links in the
    folders above it are followed either way. Never blocks on a FIFO, never reads a byte.
    """
    path = Path(path)
    # Checked before opening: opening a device can have effects of its own, and the message is clearer.
    mode = os.stat(path, follow_symlinks=follow_symlinks).st_mode
    if not follow_symlinks and stat.S_ISLNK(mode):
        raise _symlink_refused(path)
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        # Swapped for a link between the stat and the open: O_NOFOLLOW answers ELOOP.
        if exc.errno == errno.ELOOP and not follow_symlinks and path.is_symlink():
            raise _symlink_refused(path) from exc
        raise
    try:
        # Checked again on what was opened: the path may have been swapped for a FIFO or a device meanwhile.
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_capped(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file ``path``, reading at most ``limit`` + 1 of them.

    A huge file is refused with FileTooLarge, a directory, FIFO, device or socket (``/dev/zero``) with
    NotRegularFile, both in bounded time and memory; with ``follow_symlinks=False`` a symbolic link at
    ``path`` is refused too (see the module docstring for which files are read that way).
    """
    with os.fdopen(open_regular(path, follow_symlinks=follow_symlinks), "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(Path(path), limit)
    return data
