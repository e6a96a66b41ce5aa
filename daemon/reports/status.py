"""`bunny status`: what the daemon is doing, read from the database, the run folders, the
log and the disk, with one verdict for monitoring (health.py) as its exit status."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime

from daemon.config import Config
from daemon.reports.batch_status import BatchLine, batch_lines
from daemon.reports.character_overview import (
    CharacterTraining,
    UnknownClusters,
    character_training,
    readiness_inputs,
    unknown_clusters,
)
from daemon.reports.disk_status import DiskLine, disk_line, paused_reason
from daemon.reports.health import HealthFacts, Problem, assess, verdict
from daemon.reports.logview import format_entry, last_error
from daemon.reports.training_status import TrainingLine, training_lines
from daemon.repository import MovieRecord, Repository
from daemon.service.scheduler import HEARTBEAT_SECONDS
from daemon.store import MovieState

EXIT_NO_DATABASE = 1
EXIT_NO_MATCH = 1
# The daemon counts as running while its heartbeat is younger than a few beats.
ALIVE_AFTER_SECONDS = HEARTBEAT_SECONDS * 3


@dataclass(frozen=True)
class MovieLine:
    id: str
    name: str
    state: str
    stage: str | None
    progress: float
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    updated_at: str
    stage_seconds_left: float | None = None  # a running stage's estimate from its pace so far


@dataclass(frozen=True)
class CaptionLine:
    character: str
    images: int
    captioned: int


@dataclass(frozen=True)
class BreakerLine:
    provider: str
    state: str
    since: str


@dataclass(frozen=True)
class HealthLine:
    state: str  # ok, warning, critical (the exit status: 0, 1, 2)
    problems: list[str]


@dataclass(frozen=True)
class StatusReport:
    database: str
    daemon_running: bool
    daemon_pid: int | None
    heartbeat_age_seconds: float | None
    queue_length: int
    counts: dict[str, int]
    movies: list[MovieLine]
    captions: list[CaptionLine]
    breakers: list[BreakerLine]  # the running daemon's caption providers
    training: list[TrainingLine]
    training_wait: str | None  # why no run starts now (no GPU, disk space)
    characters: list[CharacterTraining]  # each one's images, threshold and reason
    unknown_clusters: UnknownClusters
    disk: DiskLine | None
    last_error: str | None  # the newest error line of the log
    health: HealthLine
    web_url: str | None = None  # where the running daemon serves the review page
    image_batches: list[BatchLine] = field(default_factory=list)


def has_database(config: Config) -> bool:
    if config.database_path.exists():
        return True
    print(f"no database at {config.database_path}", file=sys.stderr)
    return False


def daemon_running(repo: Repository, now: datetime) -> bool:
    beat = repo.heartbeat()
    return _alive((now - beat.at).total_seconds() if beat else None)


def _alive(age: float | None) -> bool:
    return age is not None and age < ALIVE_AFTER_SECONDS


def build_report(repo: Repository, now: datetime, config: Config) -> StatusReport:
    movies = repo.movies()
    beat = repo.heartbeat()
    age = (now - beat.at).total_seconds() if beat else None
    running = _alive(age)
    counts = {state.value: 0 for state in MovieState}
    for movie in movies:
        counts[movie.state.value] += 1
    breakers = [
        BreakerLine(b.provider, b.state, b.since.isoformat() + "Z") for b in repo.breaker_states()
    ]
    training = training_lines(repo, config.library)
    disk = disk_line(repo, config, running)
    inputs = readiness_inputs(now, running, disk)
    facts = HealthFacts(
        daemon_running=running,
        heartbeat_age_seconds=age,
        disk_paused_reason=paused_reason(disk),
        disk_full_reason=f"the library's disk is full: {disk.free} free in {disk.path}"
        if disk and disk.full
        else None,
        failed_movies=counts["failed"],
        open_breakers=tuple(b.provider for b in breakers if running and b.state != "closed"),
        failed_training=tuple(t.character for t in training if t.state == "failed"),
    )
    return StatusReport(
        database=str(repo.path),
        daemon_running=running,
        daemon_pid=beat.pid if beat else None,
        heartbeat_age_seconds=round(age, 1) if age is not None else None,
        queue_length=counts["queued"] + counts["waiting"],
        counts=counts,
        movies=[_line(m, _seconds_left(repo, m, now)) for m in movies],
        captions=[CaptionLine(c.character, c.images, c.captioned) for c in repo.caption_progress()],
        breakers=breakers,
        training=training,
        training_wait=repo.training_wait(),
        characters=character_training(repo, config, inputs),
        unknown_clusters=unknown_clusters(repo, config),
        disk=disk,
        last_error=_last_error(config),
        health=_health_line(assess(facts)),
        web_url=repo.web_address() if running else None,
        image_batches=batch_lines(repo),
    )


def _seconds_left(repo: Repository, movie: MovieRecord, now: datetime) -> float | None:
    """The stage in flight's time left if it keeps its pace: elapsed x (1 - p) / p."""
    if movie.state is not MovieState.RUNNING or movie.stage is None:
        return None
    if not 0.0 < movie.progress < 1.0:
        return None
    run = repo.stage_runs(movie.id).get(movie.stage)
    if run is None or run.started_at is None:
        return None
    elapsed = max(0.0, (now - run.started_at).total_seconds())
    return round(elapsed * (1.0 - movie.progress) / movie.progress, 1)


def _last_error(config: Config) -> str | None:
    entry = last_error(config.log_path)
    return format_entry(entry) if entry else None


def _health_line(problems: list[Problem]) -> HealthLine:
    state = verdict(problems)
    return HealthLine(state.name.lower(), [problem.text for problem in problems])


def _line(movie: MovieRecord, seconds_left: float | None) -> MovieLine:
    return MovieLine(
        id=movie.key,
        name=movie.name,
        state=movie.state.value,
        stage=movie.stage,
        progress=round(movie.progress, 3),
        attempts=movie.attempts,
        next_attempt_at=movie.next_attempt_at.isoformat() + "Z" if movie.next_attempt_at else None,
        last_error=movie.last_error,
        updated_at=movie.updated_at.isoformat() + "Z",
        stage_seconds_left=seconds_left,
    )
