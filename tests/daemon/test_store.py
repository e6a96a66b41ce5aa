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
    assert int(version) == SCHEMA_VERSION == 15


# The unknown faces page's reads (UnknownViews), as peewee writes them.
UNKNOWN_READS = {
    "clusters": (
        'SELECT "t1"."cluster", COUNT("t1"."id") FROM "face" AS "t1" WHERE (("t1"."cluster" IS '
        'NOT NULL) AND ("t1"."character_id" IS NULL)) GROUP BY "t1"."cluster"'
    ),
    "taken out": (
        'SELECT "t1"."id" FROM "face" AS "t1" WHERE ((("t1"."cluster" IS NULL) AND '
        '("t1"."character_id" IS NULL)) AND ("t1"."review" = \'set_aside\')) '
        'ORDER BY "t1"."id" LIMIT 48 OFFSET 9000'
    ),
    "unsure": (
        'SELECT "t1"."id" FROM "face" AS "t1" WHERE ("t1"."runner_up" >= 0 AND "t1"."character_id"'
        ' IS NOT NULL AND "t1"."confirmed" = 0 AND (("t1"."runner_up" - "t1"."distance") < 0.1)) '
        'ORDER BY ("t1"."runner_up" - "t1"."distance"), "t1"."id" LIMIT 48 OFFSET 9000'
    ),
}
UNKNOWN_INDEXES = {
    "clusters": "COVERING INDEX face_unknown_cluster_review",
    "taken out": "COVERING INDEX face_unknown_cluster_review",
    "unsure": "INDEX face_small_margin",
}


def test_a_version_11_database_gains_the_face_review_column_table_and_indexes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 11 made it
        for index in ("face_unknown_cluster_review", "face_small_margin"):
            db.execute(f'DROP INDEX "{index}"')
        db.execute('ALTER TABLE "face" DROP COLUMN "review"')
        db.execute('DROP TABLE "face_review"')
        db.execute("UPDATE meta SET value = '11' WHERE key = 'schema_version'")
    open_database(path).close()
    with sqlite3.connect(path) as db:
        assert "review" in {row[1] for row in db.execute('PRAGMA table_info("face")')}
        assert db.execute('SELECT COUNT(*) FROM "face_review"').fetchone() == (0,)
        for name, query in UNKNOWN_READS.items():
            plan = str(db.execute(f"EXPLAIN QUERY PLAN {query}").fetchall())
            assert UNKNOWN_INDEXES[name] in plan, (name, plan)
            assert "TEMP B-TREE FOR ORDER BY" not in plan, (name, plan)


def test_a_version_12_database_gains_page_drops_and_undone_corrections(tmp_path: Path) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 11 made it
        db.execute('DROP TABLE "page_drop_item"')
        db.execute('DROP TABLE "page_drop"')
        db.execute('ALTER TABLE "correction" DROP COLUMN "undone_at"')
        db.execute("UPDATE meta SET value = '12' WHERE key = 'schema_version'")
    open_database(path).close()
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute('PRAGMA table_info("correction")')}
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert "undone_at" in columns
    assert {"page_drop", "page_drop_item"} <= tables
    assert int(version) == 15


def test_a_version_13_database_gains_the_faces_pose_column(tmp_path: Path) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 13 made it
        db.execute('ALTER TABLE "face" DROP COLUMN "turned_away"')
        db.execute("UPDATE meta SET value = '13' WHERE key = 'schema_version'")
    open_database(path).close()
    with sqlite3.connect(path) as db:
        columns = {row[1]: row for row in db.execute('PRAGMA table_info("face")')}
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert "turned_away" in columns
    assert columns["turned_away"][4] == "0"  # existing faces: not known to be turned away
    assert int(version) == 15


def test_a_version_14_database_gains_images_and_the_kind_of_each_movie(tmp_path: Path) -> None:
    path = tmp_path / "bunny.db"
    open_database(path).close()
    with sqlite3.connect(path) as db:  # as version 14 made it, with a movie in it
        db.execute('DROP TABLE "image"')
        db.execute('ALTER TABLE "movie" DROP COLUMN "kind"')
        db.execute("UPDATE meta SET value = '14' WHERE key = 'schema_version'")
        db.execute(
            "INSERT INTO movie (sha256, name, path, size, state, progress, attempts, created_at,"
            " updated_at) VALUES ('ab', 'old.mkv', '/x/old.mkv', 1, 'done', 1, 0, '2026-01-01',"
            " '2026-01-01')"
        )
    open_database(path).close()
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        (kind,) = db.execute("SELECT kind FROM movie WHERE name = 'old.mkv'").fetchone()
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert "image" in tables
    assert kind == "movie"  # every movie of an older library is a movie file
    assert int(version) == 15
