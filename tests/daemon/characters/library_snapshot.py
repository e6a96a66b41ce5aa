"""What a library holds, read straight from its folder and its SQLite file, to compare two
libraries (or one before and after): files by content, and the rows corrections touch."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

# Not the user's data: the database itself, locks, and images kept for an undo.
SKIPPED = ("bunny.db", "adoption.lock", ".corrections/")

QUERIES = {
    "character": "SELECT id, name, trigger_word, class_word FROM character ORDER BY id",
    "dataset_image": (
        "SELECT d.id, d.movie_id, c.name, d.frame, d.file, d.left, d.top, d.width, d.height "
        "FROM dataset_image d JOIN character c ON c.id = d.character_id ORDER BY d.file"
    ),
    "face": (
        "SELECT f.id, c.name, f.distance, f.runner_up, f.cluster, f.confirmed "
        "FROM face f LEFT JOIN character c ON c.id = f.character_id ORDER BY f.id"
    ),
    "correction": (
        "SELECT face_id, movie_id, frame, kind, file_before, file_after, from_character, "
        "to_character, undone_at FROM correction ORDER BY id"
    ),
    "faces_result": "SELECT stage, result FROM stage_run WHERE stage = 'faces' ORDER BY id",
    "stages": "SELECT stage, status FROM stage_run ORDER BY id",
    "movie": "SELECT id, state FROM movie ORDER BY id",
    "pending_deletion": "SELECT file FROM pending_deletion ORDER BY file",
}


def library_files(library: Path, skipped: tuple[str, ...] = SKIPPED) -> dict[str, str]:
    """Every file of the library but `skipped` ones (path prefixes), by its sha256."""
    found = {}
    for path in sorted(library.rglob("*")):
        relative = path.relative_to(library).as_posix()
        if path.is_file() and not relative.startswith(skipped):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


Rows = dict[str, list[tuple[object, ...]]]


def library_rows(database: Path, *, with_times: bool = False) -> Rows:
    rows: Rows = {}
    with sqlite3.connect(database) as db:
        for table, query in QUERIES.items():
            rows[table] = [tuple(row) for row in db.execute(query)]
        if with_times:
            rows["dataset_image_times"] = [
                tuple(row) for row in db.execute("SELECT id, created_at FROM dataset_image")
            ]
    db.close()
    return rows
