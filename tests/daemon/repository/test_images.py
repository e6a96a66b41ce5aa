"""The image ledger's cost per image does not grow with the images already known: every
query an image meets on its way (taken, put in a part, read by its stages, settled) reads
an index, never the whole table. Checked on SQLite's own plan of each statement it runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.repository import Repository
from daemon.repository.image_records import NewImage
from daemon.store import ImageState

KNOWN_IMAGES = 3000


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "bunny.db")
    for number in range(KNOWN_IMAGES):  # other batches, long done
        image = NewImage(tmp_path / f"old/{number}.jpg", f"{number:064x}", "old", 1, 1)
        repository.add_image(image, ImageState.DONE)
    yield repository
    repository.close()


def plans_of(path: Path, statements: list[str]) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return {
            sql: str(db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
            for sql in statements
            if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
        }


def test_no_query_of_an_images_way_scans_the_image_table(repo: Repository, tmp_path: Path) -> None:
    statements: list[str] = []
    repo._db.connection().set_trace_callback(statements.append)
    new = NewImage(tmp_path / "new/a.jpg", "f" * 64, "new", 10, 10)

    repo.image_at(new.path)
    repo.image_by_sha(new.sha256)
    added = repo.add_image(new)
    repo.follow_image(added.id, new)
    repo.count_waiting_images()
    repo.waiting_batches()
    part = repo.form_part("new", tmp_path / "new", 500)
    assert part is not None
    repo.part_images(part.id)
    repo.image_of_frame(part.id, "00-00-00.000")
    repo.settle_image(added.id, ImageState.DONE, new.path)
    repo._db.connection().set_trace_callback(None)

    plans = plans_of(repo.path, [s for s in statements if '"image"' in s])
    assert len(plans) >= 10
    scans = {sql: plan for sql, plan in plans.items() if "SCAN t1" in plan or "SCAN image" in plan}
    assert not scans, scans
