"""The pipeline on a real SQLite file, the real probe stage and real folders."""

from __future__ import annotations

import errno
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import av
import pytest
import structlog
import structlog.testing

from daemon import stage_progress
from daemon.intake.inbox import InboxLayout
from daemon.pipeline import Pipeline, PipelineSettings
from daemon.repository import MovieRecord, Repository
from daemon.store import MovieState, StageStatus, utcnow
from handlers.base import MovieJob
from handlers.frames import FramesHandler
from handlers.probe import ProbeHandler
from handlers.quality import QualityHandler
from handlers.shots import ShotsHandler
from tests.media import textured, write_raw_h264


@dataclass(frozen=True)
class Counted:
    calls: int


class FlakyStage:
    """A stage plugged in by the test: fails its first `failures` runs, then succeeds."""

    name: ClassVar[str] = "flaky"
    result_type: ClassVar[type] = Counted

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def run(self, job: MovieJob) -> Counted:
        self.calls += 1
        assert job.video is not None, "probe's result reaches later stages"
        if self.calls <= self.failures:
            raise RuntimeError(f"flaky failure {self.calls}")
        return Counted(self.calls)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def make_pipeline(
    repo: Repository,
    tmp_path: Path,
    stages: list[object],
    backoff: tuple[float, ...],
    move_done: bool = False,
) -> Pipeline:
    settings = PipelineSettings(
        library=tmp_path / "library",
        inbox=InboxLayout(tmp_path / "inbox"),
        backoff_seconds=backoff,
        move_done_movies=move_done,
    )
    return Pipeline(stages, repo, settings, threading.Event())  # type: ignore[arg-type]


def queued_movie(repo: Repository, tmp_path: Path, clip: Path) -> MovieRecord:
    movies = tmp_path / "inbox" / "movies"
    movies.mkdir(parents=True, exist_ok=True)
    path = movies / clip.name
    path.write_bytes(clip.read_bytes())
    repo.add_movie("ab" * 32, clip.name, path, path.stat().st_size)
    claimed = repo.claim_next(utcnow())
    assert claimed is not None
    return claimed


def test_runs_stages_in_order_and_persists_each(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    flaky = FlakyStage(failures=0)
    state = make_pipeline(repo, tmp_path, [ProbeHandler(), flaky], (0,)).process(movie)
    assert state is MovieState.DONE
    runs = repo.stage_runs(movie.id)
    assert [runs[s].status for s in ("probe", "flaky")] == [StageStatus.DONE] * 2
    assert runs["probe"].started_at <= runs["flaky"].started_at
    summary = json.loads((tmp_path / "library/movies" / movie.key / "movie.json").read_text())
    assert summary["state"] == "done"
    assert summary["stages"]["probe"]["result"]["codec"] == "h264"
    assert summary["stages"]["flaky"]["result"] == {"calls": 1}


def test_failure_climbs_the_backoff_ladder_then_fails(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    flaky = FlakyStage(failures=10)
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler(), flaky], (0, 0))
    states = []
    for _ in range(3):
        claimed = repo.claim_next(utcnow()) if states else movie
        assert claimed is not None
        states.append(pipeline.process(claimed))
    assert states == [MovieState.WAITING, MovieState.WAITING, MovieState.FAILED]
    final = repo.movie(movie.id)
    assert final.attempts == 3
    assert final.last_error == "RuntimeError: flaky failure 3"
    runs = repo.stage_runs(movie.id)
    assert runs["probe"].attempts == 1, "a stage already done is not run again"
    assert runs["flaky"].attempts == 3
    assert repo.claim_next(utcnow()) is None, "a failed movie waits for `bunny retry`"


def test_waiting_movie_is_not_claimed_before_its_time(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler(), FlakyStage(1)], (3600,))
    assert pipeline.process(movie) is MovieState.WAITING
    assert repo.claim_next(utcnow()) is None
    repo.retry([movie.id])
    again = repo.claim_next(utcnow())
    assert again is not None
    assert pipeline.process(again) is MovieState.DONE


def test_rejected_movie_is_moved_aside_with_its_reason(repo: Repository, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a movie")
    movie = queued_movie(repo, tmp_path, text)
    state = make_pipeline(repo, tmp_path, [ProbeHandler()], (0,)).process(movie)
    assert state is MovieState.REJECTED
    rejected = tmp_path / "inbox" / "rejected"
    assert (rejected / "notes.mp4").read_text() == "not a movie"
    assert "not a playable video" in (rejected / "notes.mp4.reason.txt").read_text()
    assert repo.movie(movie.id).path == rejected / "notes.mp4"


def test_done_movie_moves_to_done_when_configured(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler()], (0,), move_done=True)
    assert pipeline.process(movie) is MovieState.DONE
    done = tmp_path / "inbox" / "done" / movie.name
    assert done.is_file()
    assert repo.movie(movie.id).path == done


def test_abandoned_movie_resumes_at_its_first_unfinished_stage(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    probe = ProbeHandler()
    make_pipeline(repo, tmp_path, [probe], (0,)).process(movie)
    # As a killed daemon leaves it: the movie running, its second stage running.
    repo.mark_queued(movie.id)
    claimed = repo.claim_next(utcnow())
    assert claimed is not None
    repo.start_stage(movie.id, "flaky")
    requeued = repo.requeue_abandoned()
    assert [m.id for m in requeued] == [movie.id]
    assert repo.stage_runs(movie.id)["flaky"].status is StageStatus.PENDING
    flaky = FlakyStage(0)
    again = repo.claim_next(utcnow())
    assert again is not None
    assert make_pipeline(repo, tmp_path, [probe, flaky], (0,)).process(again) is MovieState.DONE
    assert repo.stage_runs(movie.id)["probe"].attempts == 1
    assert flaky.calls == 1


def test_library_write_failure_schedules_a_retry_not_a_stuck_movie(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    # The library cannot take movie.json: "movies" is a file, as a full or broken disk would.
    (tmp_path / "library" / "movies").write_text("in the way")
    state = make_pipeline(repo, tmp_path, [ProbeHandler()], (60,)).process(movie)
    assert state is MovieState.WAITING
    after = repo.movie(movie.id)
    assert after.state is MovieState.WAITING
    assert after.last_error is not None and "NotADirectoryError" in after.last_error


def test_a_long_stage_logs_how_far_it_has_got(
    repo: Repository,
    tmp_path: Path,
    make_clip: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stage_progress, "PROGRESS_LOG_SECONDS", 0.0)
    movie = queued_movie(repo, tmp_path, make_clip())
    with structlog.testing.capture_logs() as logs:
        make_pipeline(repo, tmp_path, [ProbeHandler(), ShotsHandler()], (0,)).process(movie)
    progress = [e["progress"] for e in logs if e["event"] == "stage progress"]
    assert progress and all(0 < p < 1 for p in progress)


def test_new_face_labels_rerun_only_the_stages_that_read_them() -> None:
    from handlers.registry import stages_needing

    stages = ("probe", "shots", "frames", "quality", "faces", "scenes", "dataset", "captions")
    assert stages_needing("faces", stages) == ("dataset", "captions")
    assert stages_needing("quality", stages) == ("faces", "scenes", "dataset", "captions")


class FailingStage:
    """A stage plugged in by the test: raises the exception it is given, every time."""

    name: ClassVar[str] = "failing"
    result_type: ClassVar[type] = Counted

    def __init__(self, error: Exception) -> None:
        self.error = error

    def run(self, job: MovieJob) -> Counted:
        raise self.error


def test_a_raw_h264_stream_named_mp4_ends_done(repo: Repository, tmp_path: Path) -> None:
    raw = write_raw_h264(tmp_path / "raw.mp4", [(textured(3, moving=True), 96)], 24)
    movie = queued_movie(repo, tmp_path, raw)
    stages = [ProbeHandler(), ShotsHandler(), FramesHandler(), QualityHandler()]
    assert make_pipeline(repo, tmp_path, stages, (60,)).process(movie) is MovieState.DONE
    assert repo.movie(movie.id).attempts == 0
    assert list((tmp_path / "library/movies" / movie.key / "frames").glob("*.jpg"))


def test_an_error_about_the_file_rejects_it_at_once(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    bad = av.error.InvalidDataError(errno.EINVAL, "Invalid data found when processing input")
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler(), FailingStage(bad)], (60,))
    assert pipeline.process(movie) is MovieState.REJECTED
    reason = (tmp_path / "inbox/rejected" / f"{movie.name}.reason.txt").read_text()
    assert "cannot be read as a movie (failing)" in reason and "Invalid data" in reason


def test_a_share_gone_is_retried_on_the_ladder(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    stale = OSError(errno.ESTALE, "Stale file handle")
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler(), FailingStage(stale)], (60,))
    assert pipeline.process(movie) is MovieState.WAITING
    assert repo.movie(movie.id).attempts == 1


def test_a_full_disk_waits_for_space_and_counts_no_attempt(
    repo: Repository, tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    movie = queued_movie(repo, tmp_path, make_clip())
    full = OSError(errno.ENOSPC, "No space left on device")
    pipeline = make_pipeline(repo, tmp_path, [ProbeHandler(), FailingStage(full)], (0,))
    for _ in range(3):  # more than the ladder holds: a full disk never fails the movie
        assert pipeline.process(movie) is MovieState.WAITING
        waiting = repo.movie(movie.id)
        assert waiting.attempts == 0
        assert waiting.last_error is not None and "waiting for disk space" in waiting.last_error
        repo.retry([movie.id])
        claimed = repo.claim_next(utcnow())
        assert claimed is not None
        movie = claimed
