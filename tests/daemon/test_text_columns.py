"""daemon/text_columns.py: a real SQLite file keeps any file name, and shows it escaped."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from daemon.repository import InboxFileRecord, Repository
from daemon.store import InboxFileStatus


def test_a_name_that_is_not_utf8_round_trips_and_valid_names_stay_text(tmp_path: Path) -> None:
    database = tmp_path / "bunny.db"
    repo = Repository(database)
    odd = tmp_path / os.fsdecode(b"caf\xe9.mp4")
    plain = tmp_path / "café.mp4"
    try:
        movie = repo.add_movie("a" * 64, odd.name, odd, 10)
        for path in (odd, plain):
            repo.record_inbox_file(
                InboxFileRecord(path, 10, 1, "a" * 64, InboxFileStatus.TAKEN, movie.id)
            )
        assert repo.movie(movie.id).path == odd
        assert repo.movie(movie.id).name == "caf\\xe9.mp4"
        found = repo.inbox_file(odd)
        assert found is not None and found.path == odd
        assert repo.inbox_file(plain) is not None
        repo.forget_inbox_file(odd)
        assert repo.inbox_file(odd) is None
    finally:
        repo.close()
    with closing(sqlite3.connect(database)) as connection:
        kinds = dict(connection.execute("SELECT path, typeof(path) FROM inbox_file").fetchall())
    assert kinds == {str(plain): "text"}, "a valid name is stored as text, as before"
