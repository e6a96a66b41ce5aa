"""Listing characters costs the same however many faces they have: each is looked up by index,
not found in a list of every face's character (counted in SQLite's virtual machine steps,
which do not depend on the machine's speed)."""

from __future__ import annotations

from pathlib import Path

from daemon.repository import Repository
from daemon.store import database
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from tests.daemon.reports.page_library import encoding, sha

STEPS_PER_TICK = 100


def listing_steps(repo: Repository) -> int:
    """SQLite VM steps (in hundreds) that `characters()` takes."""
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0  # go on

    connection = database.connection()
    connection.set_progress_handler(tick, STEPS_PER_TICK)
    try:
        repo.characters()
    finally:
        connection.set_progress_handler(None, STEPS_PER_TICK)
    return ticks


def add_faces(repo: Repository, key: str, count: int) -> None:
    movie = repo.add_movie(sha(key), f"{key}.mkv", Path(f"/m/{key}.mkv"), 10)
    faces = tuple(
        FoundFace(f"f{n:05d}", 0, FaceBox(1, 9, 9, 1), "Nino", 0.3, 0.8, encoding(1))
        for n in range(count)
    )
    repo.start_stage(movie.id, "faces")
    repo.finish_stage(movie.id, "faces", 1.0, FacesReport(faces, count, count, 0, ()))


def test_listing_characters_does_not_walk_their_faces(tmp_path: Path) -> None:
    repo = Repository(tmp_path / "bunny.db")
    try:
        for name in ("Amélie", "Nino", "Nobody yet"):
            repo.save_character(name, name.lower(), "person")
        add_faces(repo, "short", 10)
        few = listing_steps(repo)
        add_faces(repo, "long", 5000)
        many = listing_steps(repo)
        assert [c.name for c in repo.characters()] == ["Nino"]
    finally:
        repo.close()
    assert many <= few + 2, f"{few} -> {many} hundred steps: the listing reads every face"
