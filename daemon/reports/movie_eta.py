"""A movie's time left: an estimate, from its running stage's pace and the mean time each
later stage took on the movies that finished it.

The running stage's part is its time so far scaled by what is left of it (its progress);
a stage with no progress yet, and each stage still to come, count the mean duration of
that stage in this library. A stage never finished here counts nothing, so the figure is a
lower bound until every stage has run once. Time spent waiting in the queue is not counted,
and a queued movie counts every stage (a movie queued again for a few stages is overrated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.repository import MovieRecord, StageClock
from daemon.store import MovieState

# Below this much progress the pace says nothing yet: the mean stands in.
MIN_PROGRESS = 0.02
_UNFINISHED = (MovieState.QUEUED, MovieState.RUNNING, MovieState.WAITING)


@dataclass(frozen=True)
class StagePace:
    stages: tuple[str, ...]  # the configured stages, in order
    typical: dict[str, float]  # stage -> mean seconds of its finished runs
    now: datetime


def seconds_left(movie: MovieRecord, clock: StageClock | None, pace: StagePace) -> float | None:
    """None for a finished movie, or when nothing is known of any stage left."""
    if movie.state not in _UNFINISHED:
        return None
    current = movie.stage if movie.stage in pace.stages else None
    later = pace.stages[pace.stages.index(current) + 1 :] if current else pace.stages
    parts: list[float | None] = [pace.typical.get(stage) for stage in later]
    if current is not None:
        parts.append(_current_part(movie, current, clock, pace))
    known = [part for part in parts if part is not None]
    return round(sum(known), 1) if known else None


def _current_part(
    movie: MovieRecord, stage: str, clock: StageClock | None, pace: StagePace
) -> float | None:
    # A waiting or queued movie runs its stage again from the start.
    running = movie.state is MovieState.RUNNING
    progress = min(max(movie.progress, 0.0), 1.0) if running else 0.0
    started = clock.started_at if clock is not None and clock.stage == stage else None
    if started is not None and progress >= MIN_PROGRESS:
        elapsed = max((pace.now - started).total_seconds(), 0.0)
        return elapsed * (1.0 - progress) / progress
    typical = pace.typical.get(stage)
    return typical * (1.0 - progress) if typical is not None else None
