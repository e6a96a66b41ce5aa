"""`bunny status` and `bunny retry`: read and requeue movies through the repository."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from daemon.config import Config
from daemon.repository import MovieRecord, Repository, TrainingRunRecord
from daemon.scheduler import HEARTBEAT_SECONDS
from daemon.store import MovieState, utcnow

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
class TrainingLine:
    character: str
    version: int | None
    state: str  # the table's: requested, running, stopped, done, failed, refused
    progress_state: str | None  # progress.json's: loading, caching, training, ...
    step: int | None
    steps: int | None
    loss: float | None
    steps_per_second: float | None
    seconds_left: float | None
    images: int | None
    folder: str | None
    requested_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    summary: str  # one line, as the text status prints it


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
    training: list[TrainingLine] = field(default_factory=list)
    training_wait: str | None = None  # why no run starts now (no GPU)


def has_database(config: Config) -> bool:
    if config.database_path.exists():
        return True
    print(f"no database at {config.database_path}", file=sys.stderr)
    return False


def build_report(repo: Repository, now: datetime, library: Path | None = None) -> StatusReport:
    movies = repo.movies()
    beat = repo.heartbeat()
    age = (now - beat.at).total_seconds() if beat else None
    counts = {state.value: 0 for state in MovieState}
    for movie in movies:
        counts[movie.state.value] += 1
    return StatusReport(
        database=str(repo.path),
        daemon_running=age is not None and age < ALIVE_AFTER_SECONDS,
        daemon_pid=beat.pid if beat else None,
        heartbeat_age_seconds=round(age, 1) if age is not None else None,
        queue_length=counts["queued"] + counts["waiting"],
        counts=counts,
        movies=[_line(m) for m in movies],
        captions=[CaptionLine(c.character, c.images, c.captioned) for c in repo.caption_progress()],
        breakers=[
            BreakerLine(b.provider, b.state, b.since.isoformat() + "Z")
            for b in repo.breaker_states()
        ],
        training=training_lines(repo, library) if library is not None else [],
        training_wait=repo.training_wait(),
    )


def training_lines(repo: Repository, library: Path) -> list[TrainingLine]:
    """Runs in progress, stopped or asked for, and each character's newest finished one."""
    runs = repo.training_runs()
    newest = {run.character: run for run in runs if run.state.value in FINISHED_TRAINING}
    shown = [r for r in runs if r.state.value not in FINISHED_TRAINING or newest[r.character] is r]
    return [_training_line(run, library) for run in shown]


FINISHED_TRAINING = ("done", "failed", "refused")


def _training_line(run: TrainingRunRecord, library: Path) -> TrainingLine:
    from daemon.training.progress import read_progress
    from daemon.training.run_folder import RunFolder

    progress = None
    if run.folder:
        try:
            progress = read_progress(RunFolder.of(library / run.folder).path)
        except ValueError:
            progress = None
    if run.state.value == "requested":
        summary = "requested with `bunny train`"
    elif progress is not None:
        summary = progress.describe()
    else:
        summary = run.state.value + (f", {run.error}" if run.error else "")
    stale = progress is not None and progress.state not in ("done", "failed", "stopped")
    if progress is not None and stale and run.state.value not in ("running", "requested"):
        # a worker killed mid-step: its progress.json still says what it was doing
        summary = f"{run.state.value} at {progress.step}/{progress.steps}"
        summary += f", {run.error}" if run.error else ""
    return TrainingLine(
        character=run.character,
        version=run.version,
        state=run.state.value,
        progress_state=progress.state if progress else None,
        step=progress.step if progress else run.steps,
        steps=progress.steps if progress else None,
        loss=progress.loss if progress else run.final_loss,
        steps_per_second=progress.steps_per_second if progress else None,
        seconds_left=progress.seconds_left if progress else None,
        images=run.images,
        folder=run.folder,
        requested_at=run.requested_at.isoformat() + "Z",
        started_at=run.started_at.isoformat() + "Z" if run.started_at else None,
        finished_at=run.finished_at.isoformat() + "Z" if run.finished_at else None,
        error=run.error,
        summary=summary,
    )


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


def print_status(config: Config, as_json: bool) -> int:
    if not config.database_path.exists():
        print(
            f"no database at {config.database_path}: the daemon has not run on this library",
            file=sys.stderr,
        )
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path)
    try:
        report = build_report(repo, utcnow(), config.library)
    finally:
        repo.close()
    print(json.dumps(asdict(report), indent=2) if as_json else render(report))
    return 0


def render(report: StatusReport) -> str:
    if report.daemon_running:
        daemon = (
            f"running (pid {report.daemon_pid}, heartbeat {report.heartbeat_age_seconds} s ago)"
        )
    else:
        daemon = "not running"
    counts = ", ".join(f"{n} {state}" for state, n in report.counts.items() if n)
    lines = [
        f"daemon:   {daemon}",
        f"database: {report.database}",
        f"queue:    {report.queue_length} movie(s) waiting to run; {counts or 'no movies yet'}",
    ]
    if report.movies:
        lines.append("")
        lines.append(
            f"{'ID':<12}  {'STATE':<8}  {'STAGE':<10}  {'PROGRESS':>8}  {'TRIES':>5}  NAME"
        )
    for m in report.movies:
        progress = f"{m.progress:.0%}" if m.state in ("running", "queued", "waiting") else ""
        lines.append(
            f"{m.id:<12}  {m.state:<8}  {m.stage or '-':<10}  {progress:>8}  {m.attempts:>5}  "
            f"{m.name}"
        )
        if m.last_error and m.state != "done":
            lines.append(f"{'':<12}  last error: {m.last_error}")
        if m.next_attempt_at:
            lines.append(f"{'':<12}  next try: {m.next_attempt_at}")
    return "\n".join(lines + _caption_lines(report))


def _caption_lines(report: StatusReport) -> list[str]:
    lines = []
    if report.captions:
        done = ", ".join(f"{c.character} {c.captioned}/{c.images}" for c in report.captions)
        lines += ["", f"captions: {done}"]
    if report.breakers and report.daemon_running:
        states = ", ".join(f"{b.provider} {b.state} since {b.since}" for b in report.breakers)
        lines.append(f"providers: {states}")
    return lines + _training_text(report)


def _training_text(report: StatusReport) -> list[str]:
    lines = []
    if report.training_wait and report.daemon_running:
        lines += ["", f"training waits: {report.training_wait}"]
    if report.training:
        lines += ["", "training:"]
    for t in report.training:
        name = f"{t.character}-v{t.version}" if t.version else t.character
        lines.append(f"  {name:<24}  {t.state:<9}  {t.summary}")
    return lines


def retry_movies(config: Config, key: str | None) -> int:
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path)
    try:
        retryable = {MovieState.FAILED, MovieState.WAITING}
        candidates = repo.find_movies(key) if key else repo.movies()
        chosen = [m for m in candidates if m.state in retryable]
        if not chosen:
            what = f"matching '{key}'" if key else ""
            print(f"no failed or waiting movie {what}".strip(), file=sys.stderr)
            return EXIT_NO_MATCH
        repo.retry([m.id for m in chosen])
        for movie in chosen:
            print(f"requeued {movie.key}  {movie.name}")
        return 0
    finally:
        repo.close()
