"""`bunny status`'s time left of a running stage, from its pace so far."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from daemon.config import load_config
from daemon.reports.status import build_report
from daemon.repository import Repository
from daemon.store import utcnow


def test_a_quarter_done_in_ten_seconds_leaves_thirty(tmp_path: Path) -> None:
    config = load_config(None, {"library": str(tmp_path / "library")})
    repo = Repository(config.database_path)
    try:
        movie = repo.add_movie("e" * 64, "m.mkv", Path("/m/m.mkv"), 1)
        waiting = repo.add_movie("f" * 64, "n.mkv", Path("/m/n.mkv"), 1)
        repo.claim_next(utcnow())
        repo.start_stage(movie.id, "frames")
        repo.set_progress(movie.id, "frames", 0.25)
        started = repo.stage_runs(movie.id)["frames"].started_at
        assert started is not None
        report = build_report(repo, started + timedelta(seconds=10), config)
    finally:
        repo.close()
    left = {line.id: line.stage_seconds_left for line in report.movies}
    assert left[movie.key] == 30.0
    assert left[waiting.key] is None
