"""The frame stages through the real pipeline: rows in SQLite, files in the library, resume."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import peewee as pw
import pytest

from daemon.config import Config
from daemon.intake.inbox import InboxLayout
from daemon.pipeline import Pipeline, PipelineSettings
from daemon.repository import MovieRecord, Repository
from daemon.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    FrameRow,
    Meta,
    MovieState,
    ShotRow,
    database,
    utcnow,
)
from daemon.store import open_database as open_store
from evaluation.stages import frame_stages_only
from handlers.near_duplicates import NearDuplicateIndex
from handlers.registry import StageServices, build_handlers
from tests.media import textured, write_segments


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def index_from(repo: Repository) -> NearDuplicateIndex:
    index = NearDuplicateIndex(Config().quality.duplicate_distance)
    for frame, phash in repo.kept_frame_hashes():
        index.add(phash, frame)
    return index


def pipeline(
    repo: Repository, tmp_path: Path, index: NearDuplicateIndex, config: Config | None = None
) -> Pipeline:
    settings = PipelineSettings(
        library=tmp_path / "library",
        inbox=InboxLayout(tmp_path / "inbox"),
        backoff_seconds=(0,),
        move_done_movies=False,
    )
    config = frame_stages_only(config or Config())
    handlers = build_handlers(config, StageServices(index))
    return Pipeline(handlers, repo, settings, threading.Event())


def movie_from(repo: Repository, tmp_path: Path, name: str, seeds: list[int]) -> MovieRecord:
    segments = [(textured(seed, moving=seed % 2 == 1, size=(320, 180)), 48) for seed in seeds]
    path = write_segments(tmp_path / name, segments, size=(320, 180))
    repo.add_movie(f"{sum(seeds):02x}" * 32, name, path, path.stat().st_size)
    claimed = repo.claim_next(utcnow())
    assert claimed is not None
    return claimed


def test_frames_over_the_per_minute_limit_have_rows_that_say_so(
    repo: Repository, tmp_path: Path
) -> None:
    movie = movie_from(repo, tmp_path, "capped.mp4", [2, 4, 6])  # three static shots
    config = Config()
    config = dataclasses.replace(
        config, frames=dataclasses.replace(config.frames, max_per_minute=1)
    )
    assert pipeline(repo, tmp_path, index_from(repo), config).process(movie) is MovieState.DONE
    frames = repo.frames(movie.id)
    assert len(frames) == 3
    over = [f for f in frames if f.verdict == "over_limit"]
    assert len(over) == 2
    assert all("frames.max_per_minute keeps 1" in (f.reason or "") for f in over)
    assert [f.verdict for f in frames if f not in over] == ["kept"]


def test_a_movie_ends_with_rows_files_and_a_summary(repo: Repository, tmp_path: Path) -> None:
    movie = movie_from(repo, tmp_path, "a.mp4", [2, 3, 4])
    assert pipeline(repo, tmp_path, index_from(repo)).process(movie) is MovieState.DONE
    shots = list(ShotRow.select().where(ShotRow.movie == movie.id).order_by(ShotRow.number))
    assert [(s.number, s.kind) for s in shots] == [(0, "static"), (1, "moving"), (2, "static")]
    frames = repo.frames(movie.id)
    kept = [f for f in frames if f.verdict == "kept"]
    assert len(frames) == 5 and kept
    assert all(f.reason for f in frames if f.verdict != "kept")
    movie_dir = tmp_path / "library" / "movies" / movie.key
    assert sorted(p.name for p in (movie_dir / "frames").iterdir()) == sorted(
        f"{f.name}.jpg" for f in kept
    )
    summary = json.loads((movie_dir / "movie.json").read_text())
    assert len(summary["stages"]["quality"]["result"]["frames"]) == 5
    assert [s["kind"] for s in summary["stages"]["shots"]["result"]["shots"]] == [
        "static",
        "moving",
        "static",
    ]


def test_a_later_movie_repeating_frames_finds_them_after_a_restart(
    repo: Repository, tmp_path: Path
) -> None:
    first = movie_from(repo, tmp_path, "a.mp4", [2, 4])
    pipeline(repo, tmp_path, index_from(repo)).process(first)
    kept_first = {f.phash for f in repo.frames(first.id) if f.verdict == "kept"}
    # A new index, loaded from the database, as a restarted daemon builds it.
    second = movie_from(repo, tmp_path, "b.mp4", [4, 2, 6])
    pipeline(repo, tmp_path, index_from(repo)).process(second)
    frames = repo.frames(second.id)
    duplicates = [f for f in frames if f.verdict == "duplicate"]
    assert len(duplicates) == 2
    assert all(f.reason and first.key in f.reason for f in duplicates)
    assert {f.phash for f in frames if f.verdict == "kept"}.isdisjoint(kept_first)


def test_a_version_1_database_gains_the_frame_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = pw.SqliteDatabase(str(path))
    database.initialize(db)
    MIGRATIONS[0]()
    Meta.replace(key="schema_version", value="1").execute()
    db.close()
    reopened = open_store(path)
    try:
        assert Meta.get(Meta.key == "schema_version").value == str(SCHEMA_VERSION)
        assert ShotRow.table_exists() and FrameRow.table_exists()
    finally:
        reopened.close()
