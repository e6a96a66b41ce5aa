"""What a stage's failure means, judged on real errors: FFmpeg's, SQLite's, the system's."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import av
import peewee as pw
import pytest

from daemon.failure_policy import FailureKind, classify
from tests.media import textured, write_raw_h264


def test_a_seek_in_a_raw_stream_is_the_files_fault(tmp_path: Path) -> None:
    raw = write_raw_h264(tmp_path / "raw.mp4", [(textured(1), 48)], 24)
    with av.open(str(raw)) as container, pytest.raises(av.FFmpegError) as caught:
        container.seek(0)
    assert classify(caught.value) is FailureKind.INPUT


def test_a_full_database_is_no_space(tmp_path: Path) -> None:
    db = pw.SqliteDatabase(str(tmp_path / "full.db"))
    db.execute_sql("CREATE TABLE t (x BLOB)")
    db.execute_sql("PRAGMA max_page_count = 2")  # SQLite's own "database or disk is full"
    with pytest.raises(pw.OperationalError) as caught:
        db.execute_sql("INSERT INTO t VALUES (zeroblob(100000))")
    assert classify(caught.value) is FailureKind.NO_SPACE


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (errno.ENOSPC, FailureKind.NO_SPACE),
        (errno.EDQUOT, FailureKind.NO_SPACE),
        (errno.EIO, FailureKind.TRANSIENT),
        (errno.ENOTCONN, FailureKind.TRANSIENT),
        (errno.ESTALE, FailureKind.TRANSIENT),
        (errno.ETIMEDOUT, FailureKind.TRANSIENT),
        (errno.EAGAIN, FailureKind.TRANSIENT),
        (errno.EACCES, FailureKind.FAULT),
    ],
)
def test_system_errors_by_their_errno(number: int, kind: FailureKind) -> None:
    assert classify(OSError(number, "x")) is kind


def test_an_io_error_under_an_ffmpeg_error_is_the_worlds(tmp_path: Path) -> None:
    try:
        try:
            raise OSError(errno.EIO, "Input/output error")
        except OSError as exc:
            raise av.error.InvalidDataError(errno.EINVAL, "Invalid data") from exc
    except av.FFmpegError as wrapped:
        assert classify(wrapped) is FailureKind.TRANSIENT


def test_a_bug_is_a_fault() -> None:
    assert classify(KeyError("x")) is FailureKind.FAULT
    assert classify(sqlite3.IntegrityError("UNIQUE constraint failed")) is FailureKind.FAULT
