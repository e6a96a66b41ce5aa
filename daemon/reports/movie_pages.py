"""The review page's movies: the list (newest first, a page at a time) and one movie's
header, stage timeline and scenes. Its frames and shots are pages of their own
(movie_frames.py), so no page loads a whole movie's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.display_text import NAME_LIMIT, REASON_LIMIT, bounded, printable
from daemon.reports.movie_eta import StagePace, seconds_left
from daemon.reports.movie_faces import FaceCounts, face_counts
from daemon.reports.paging import Page, PageRequest
from daemon.repository import (
    MOVIE_KEY_LENGTH,
    FrameCounts,
    MovieRecord,
    Repository,
    StageClock,
    StageRunRecord,
)
from daemon.store import MovieState, StageStatus
from handlers.frame_files import frame_size
from handlers.result_codec import decode
from handlers.scenes import Scene, ScenesReport

SCENES_STAGE = "scenes"


@dataclass(frozen=True)
class MovieItem:
    id: int
    key: str  # the movie's id in the library (movies/<key>/) and in addresses
    name: str  # bounded
    state: MovieState
    stage: str | None  # the stage it is at (running, or to run again)
    progress: float  # of that stage, 0..1
    seconds_left: float | None  # an estimate (movie_eta.py); None when finished or unknown
    attempts: int  # failed tries on the back-off ladder
    next_attempt_at: datetime | None
    last_error: str | None  # bounded
    kept_frames: int
    rejected_frames: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class StageEntry:
    """One stage of the timeline. The database keeps a stage's latest run and how many times
    it started; earlier tries' times and errors are not kept."""

    stage: str
    status: StageStatus | None  # None: not run yet
    attempts: int  # starts, the latest included
    retries: int  # attempts - 1
    started_at: datetime | None  # of the latest attempt
    finished_at: datetime | None
    seconds: float | None
    error: str | None  # bounded; the latest attempt's, or why it was deferred


@dataclass(frozen=True)
class MovieDetail:
    movie: MovieItem
    source: str  # where the movie file is, printable
    size: int  # bytes
    sha256: str
    stages: tuple[StageEntry, ...]  # the configured stages in order, then any others it ran
    shots: int
    scenes: tuple[Scene, ...]  # empty until the scenes stage is done
    frame_size: FrameSize | None  # of its kept frames (face boxes are in these pixels)
    faces: FaceCounts | None  # None until the faces stage is done


@dataclass(frozen=True)
class FrameSize:
    width: int
    height: int


def find_movie(repo: Repository, key: str) -> MovieRecord | None:
    """The movie with exactly this key, as the library's folder names it."""
    if len(key) != MOVIE_KEY_LENGTH:
        return None
    return next((m for m in repo.find_movies(key) if m.key == key.lower()), None)


def movies_page(
    repo: Repository,
    request: PageRequest,
    stages: tuple[str, ...],
    now: datetime,
    state: MovieState | None = None,
) -> Page[MovieItem]:
    """Newest first, only those in `state` if given. `stages` are the configured ones
    (config.pipeline.stages), in order."""
    movies = repo.movies_newest_first(request.offset, request.per_page, state)
    items = _items(repo, movies, stages, now)
    return Page.of(items, request, repo.movie_count(state))


def movie_detail(
    repo: Repository, library: Path, key: str, stages: tuple[str, ...], now: datetime
) -> MovieDetail | None:
    movie = find_movie(repo, key)
    if movie is None:
        return None
    (item,) = _items(repo, [movie], stages, now)
    return MovieDetail(
        movie=item,
        source=printable(movie.path),
        size=movie.size,
        sha256=movie.sha256,
        stages=_timeline(repo.stage_timeline(movie.id), stages),
        shots=repo.shot_count(movie.id),
        scenes=_scenes(repo.stage_result_json(movie.id, SCENES_STAGE)),
        frame_size=_frame_size(repo, library, movie.id),
        faces=face_counts(repo, movie.id),
    )


def _frame_size(repo: Repository, library: Path, movie_id: int) -> FrameSize | None:
    """Read from the first kept frame's header: every kept frame of a movie has its size."""
    first = repo.frames_page(movie_id, True, 0, 1)
    if not first or first[0].file is None:
        return None
    try:
        width, height = frame_size(library / first[0].file)
    except OSError:
        return None
    return FrameSize(width, height)


def _items(
    repo: Repository, movies: list[MovieRecord], stages: tuple[str, ...], now: datetime
) -> list[MovieItem]:
    ids = [movie.id for movie in movies]
    counts = repo.frame_counts(ids)
    clocks = repo.running_stage_clocks(ids)
    pace = StagePace(stages, repo.typical_stage_seconds(), now)
    return [_item(m, counts.get(m.id), clocks.get(m.id), pace) for m in movies]


def _item(
    movie: MovieRecord, counts: FrameCounts | None, clock: StageClock | None, pace: StagePace
) -> MovieItem:
    return MovieItem(
        id=movie.id,
        key=movie.key,
        name=bounded(movie.name, NAME_LIMIT),
        state=movie.state,
        stage=movie.stage,
        progress=movie.progress,
        seconds_left=seconds_left(movie, clock, pace),
        attempts=movie.attempts,
        next_attempt_at=movie.next_attempt_at,
        last_error=bounded(movie.last_error, REASON_LIMIT) if movie.last_error else None,
        kept_frames=counts.kept if counts else 0,
        rejected_frames=counts.rejected if counts else 0,
        created_at=movie.created_at,
        updated_at=movie.updated_at,
        finished_at=movie.finished_at,
    )


def _timeline(runs: list[StageRunRecord], stages: tuple[str, ...]) -> tuple[StageEntry, ...]:
    by_stage = {run.stage: run for run in runs}
    order = list(stages) + [run.stage for run in runs if run.stage not in stages]
    return tuple(_entry(stage, by_stage.get(stage)) for stage in order)


def _entry(stage: str, run: StageRunRecord | None) -> StageEntry:
    if run is None:
        return StageEntry(stage, None, 0, 0, None, None, None, None)
    return StageEntry(
        stage=stage,
        status=run.status,
        attempts=run.attempts,
        retries=max(run.attempts - 1, 0),
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=run.seconds,
        error=bounded(run.error, REASON_LIMIT) if run.error else None,
    )


def _scenes(result_json: str | None) -> tuple[Scene, ...]:
    if result_json is None:
        return ()
    return decode(ScenesReport, json.loads(result_json)).scenes
