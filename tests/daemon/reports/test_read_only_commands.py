"""The commands that only look (status, characters, corrections) open the database for
reading only: they never migrate it, and refuse politely when its schema is not this
program's."""

from __future__ import annotations

import hashlib
from pathlib import Path

import peewee as pw
import pytest

from daemon import store
from daemon.commands.cli import main


def database_at_version(path: Path, version: int) -> Path:
    """A database as an older release left it: its first `version` migrations only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = pw.SqliteDatabase(str(path), pragmas={"journal_mode": "wal"})
    store.database.initialize(db)
    with db:
        for step in store.MIGRATIONS[:version]:
            step()
        store.Meta.replace(key="schema_version", value=str(version)).execute()
    return path


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.mark.parametrize("command", ["status", "characters", "corrections"])
def test_an_older_schema_is_refused_and_left_as_it_is(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "library"
    old = store.SCHEMA_VERSION - 1
    database_at_version(library / "bunny.db", old)
    before = digest(library)
    code = main([command, "--library", str(library)])
    assert code == (3 if command == "status" else 1)  # status: health unknown
    error = capsys.readouterr().err
    assert f"database schema version {old} is older than this program's" in error
    assert "start the daemon once" in error
    assert digest(library) == before, "a command that only looks wrote to the database"
