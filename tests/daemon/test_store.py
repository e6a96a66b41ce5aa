"""The schema's migrations that an older database goes through: indexes, tables, columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daemon.store import SCHEMA_VERSION, open_database

# CaptionStore.caption_progress's count of each character's captioned images.
CAPTIONED = (
    'SELECT "t1"."character_id", COUNT("t1"."id") FROM "dataset_image" AS "t1" WHERE EXISTS'
    '(SELECT "t2"."id" FROM "caption" AS "t2" WHERE (("t2"."file" = "t1"."file") AND '
    '("t2"."stale" = 0))) GROUP BY "t1"."character_id"'
)
INDEXES = ("caption_file_stale", "dataset_image_character_id_file")


def _plan(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute(f"EXPLAIN QUERY PLAN {CAPTIONED}").fetchall())


def test_a_version_10_database_gains_the_indexes_that_count_captioned_images(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 10 made it
        for index in INDEXES:
            db.execute(f'DROP INDEX "{index}"')
        db.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
    assert not any(f"COVERING INDEX {index}" in _plan(path) for index in INDEXES)
    open_database(path).close()
    assert all(f"COVERING INDEX {index}" in _plan(path) for index in INDEXES)
    with sqlite3.connect(path) as db:
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version) == SCHEMA_VERSION == 12


def test_a_version_11_database_gains_page_drops_and_undone_corrections(tmp_path: Path) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 11 made it
        db.execute('DROP TABLE "page_drop_item"')
        db.execute('DROP TABLE "page_drop"')
        db.execute('ALTER TABLE "correction" DROP COLUMN "undone_at"')
        db.execute("UPDATE meta SET value = '11' WHERE key = 'schema_version'")
    open_database(path).close()
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute('PRAGMA table_info("correction")')}
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert "undone_at" in columns
    assert {"page_drop", "page_drop_item"} <= tables
    assert int(version) == 12
