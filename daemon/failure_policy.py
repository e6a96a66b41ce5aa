"""What a failed stage means, decided once: the world's fault, the file's, or nobody's known.

- TRANSIENT: the world around the file, by its errno (a network share gone, a stale handle,
  an I/O error, a timeout): the stage is retried on the back-off ladder.
- NO_SPACE: a full disk (the library's, or the database's): nothing is wrong with the movie;
  the stage waits for space and counts no failure.
- INPUT: the file itself (FFmpeg cannot demux, decode or seek it): retrying never helps, so
  the movie is rejected with the reason. A file gone or unreadable to us is not this.
- FAULT: anything else (a bug, an unexpected error): retried on the ladder, then failed.
"""

from __future__ import annotations

import enum
import errno
import sqlite3

import av

TRANSIENT_ERRNOS = frozenset(
    {
        errno.EIO,
        errno.EAGAIN,
        errno.EINTR,
        errno.EBUSY,
        errno.ENOMEM,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ECONNREFUSED,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.ENETRESET,
        errno.ESTALE,
        errno.EREMOTEIO,
        errno.ENOLINK,
    }
)
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# SQLite's own result codes (Python 3.11 names them on the exception).
SQLITE_IOERR, SQLITE_FULL = 10, 13


class FailureKind(enum.Enum):
    TRANSIENT = "transient"
    NO_SPACE = "no_space"
    INPUT = "input"
    FAULT = "fault"


def classify(exc: BaseException) -> FailureKind:
    """The kind of a stage's failure, from the exception and the ones it wraps."""
    causes = list(_chain(exc))
    for kind in (FailureKind.NO_SPACE, FailureKind.TRANSIENT):
        if any(_is(kind, cause) for cause in causes):
            return kind
    if any(_about_the_file(cause) for cause in causes):
        return FailureKind.INPUT
    return FailureKind.FAULT


def is_transient(exc: BaseException) -> bool:
    """The outside world's fault (including a full disk): worth another try later."""
    return classify(exc) in (FailureKind.TRANSIENT, FailureKind.NO_SPACE)


def _is(kind: FailureKind, exc: BaseException) -> bool:
    numbers = NO_SPACE_ERRNOS if kind is FailureKind.NO_SPACE else TRANSIENT_ERRNOS
    if isinstance(exc, OSError) and exc.errno in numbers:
        return True
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            primary = int(code) & 0xFF  # extended codes keep the primary in their low byte
            return primary == (SQLITE_FULL if kind is FailureKind.NO_SPACE else SQLITE_IOERR)
        text = str(exc).lower()
        return ("disk is full" if kind is FailureKind.NO_SPACE else "disk i/o error") in text
    return False


def _about_the_file(exc: BaseException) -> bool:
    # A file gone or not readable by us is no verdict on its content: the user can fix that.
    access = isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.EACCES)
    return isinstance(exc, av.FFmpegError) and not access


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it was raised from or during, and an exception it wraps (peewee
    keeps sqlite3's as `orig`)."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        wrapped = [*current.args, getattr(current, "orig", None)]
        pending += [arg for arg in wrapped if isinstance(arg, BaseException)]
    return seen
