"""The one way the daemon opens a file a user dropped in the inbox (movies and faces alike).

The file is opened without blocking and checked on its open descriptor before a byte is
read: a FIFO, a device (a link to /dev/zero), a socket or a folder cannot hang or flood the
reader, and nothing can be swapped in between the check and the read. What cannot be used
raises `UnusableFileError` with the reason a person reads in the reason file; a file gone
meanwhile raises FileNotFoundError, and its caller lets it go.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HASH_CHUNK = 1024 * 1024
# No O_NONBLOCK on Windows, where opening a named pipe by path does not wait for a writer.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class UnusableFileError(Exception):
    """The file cannot be taken; the message says why."""


class TakeAbandonedError(Exception):
    """The daemon is stopping; the file is offered again at the next start."""


@dataclass(frozen=True)
class InboxFileOpened:
    handle: BinaryIO
    size: int
    mtime_ns: int


@contextmanager
def open_inbox_file(path: Path, follow_symlinks: bool = True) -> Iterator[InboxFileOpened]:
    """The file, open for reading, once it is known to be a readable, non-empty regular file."""
    descriptor = _open(path, follow_symlinks)
    try:
        status = os.fstat(descriptor)
        problem = _not_regular(status.st_mode)
        if problem is None and status.st_size == 0:
            problem = "empty file (0 bytes)"
        if problem is not None:
            raise UnusableFileError(problem)
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield InboxFileOpened(handle, status.st_size, status.st_mtime_ns)


def sha256_of_handle(handle: BinaryIO, stop: threading.Event | None = None) -> str:
    """The sha256 of what is left to read; a big file gives way to a stop between chunks."""
    digest = hashlib.sha256()
    while chunk := handle.read(HASH_CHUNK):
        if stop is not None and stop.is_set():
            raise TakeAbandonedError("the daemon is stopping")
        digest.update(chunk)
    return digest.hexdigest()


def _open(path: Path, follow_symlinks: bool) -> int:
    try:
        is_link = path.is_symlink()
        if is_link and not follow_symlinks:
            raise UnusableFileError(
                "symbolic links are not followed (watcher.follow_symlinks is false)"
            )
        flags = os.O_RDONLY | _NONBLOCK | _BINARY | (0 if follow_symlinks else _NOFOLLOW)
        return os.open(path, flags)
    except FileNotFoundError:
        if path.is_symlink():
            raise UnusableFileError(
                f"broken symbolic link (its target {path.readlink()} does not exist)"
            ) from None
        raise
    except PermissionError:
        raise UnusableFileError("not readable by the daemon (permission denied)") from None
    except OSError as exc:
        raise UnusableFileError(f"cannot be opened: {exc.strerror or exc}") from None


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return f"not a regular file ({kind})"
