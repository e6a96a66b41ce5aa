"""`bunny status`: what the daemon is doing, read from the database, the run folders, the
log and the disk, with one verdict for monitoring (health.py) as its exit status."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import datetime

from daemon.byte_sizes import BYTES_PER_GB, readable_size
from daemon.config import Config
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
# Below this, a frame, a dataset image or the database's next page may not fit: full.
FULL_BELOW_BYTES = 64_000_000


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
class DiskLine:
    path: str
    free: str  # in the unit that shows it: 14.7 MB, 1.47 GB
    free_bytes: int
    free_gb: float
    floor_gb: float  # 0: never paused
    paused: bool  # the daemon runs, and its last reading or this one is under the floor
    full: bool  # under FULL_BELOW_BYTES: the daemon cannot write, floor or not


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
    disk: DiskLine | None
    last_error: str | None  # the newest error line of the log
    health: HealthLine


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
    disk = _disk_line(repo, config, running)
    facts = HealthFacts(
        daemon_running=running,
        heartbeat_age_seconds=age,
        disk_paused_reason=(f"{disk.free} free, floor {disk.floor_gb:g} GB")
        if disk and disk.paused
        else None,
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
        movies=[_line(m) for m in movies],
        captions=[CaptionLine(c.character, c.images, c.captioned) for c in repo.caption_progress()],
        breakers=breakers,
        training=training,
        training_wait=repo.training_wait(),
        disk=disk,
        last_error=_last_error(config),
        health=_health_line(assess(facts)),
    )


def _disk_line(repo: Repository, config: Config, running: bool) -> DiskLine | None:
    try:
        free = shutil.disk_usage(config.library).free
    except OSError:
        return None
    reading = repo.disk_reading()
    # The daemon's own reading may not have been saved: the database is on that disk too.
    under_floor = free < config.disk.min_free_gb * BYTES_PER_GB
    return DiskLine(
        path=str(config.library),
        free=readable_size(free),
        free_bytes=free,
        free_gb=round(free / BYTES_PER_GB, 3),
        floor_gb=config.disk.min_free_gb,
        paused=running and (under_floor or (reading is not None and reading.paused)),
        full=free < FULL_BELOW_BYTES,
    )


def _last_error(config: Config) -> str | None:
    entry = last_error(config.log_path)
    return format_entry(entry) if entry else None


def _health_line(problems: list[Problem]) -> HealthLine:
    state = verdict(problems)
    return HealthLine(state.name.lower(), [problem.text for problem in problems])


def _line(movie: MovieRecord) -> MovieLine:
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
    )
