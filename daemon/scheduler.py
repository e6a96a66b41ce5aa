"""Periodic jobs of the daemon (apscheduler): rescan, heartbeat, corrections, clustering."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

HEARTBEAT_SECONDS = 5.0
CORRECTIONS_SECONDS = 60.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    seconds: float
    first_in: float | None = None  # seconds to its first run; None: one interval


def build_scheduler(jobs: Sequence[PeriodicJob]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    for job in jobs:
        # coalesce + max_instances=1: a job that overruns its interval is not stacked up.
        first = {}
        if job.first_in is not None:
            # Later runs follow one interval after each other, counted from this one.
            first["next_run_time"] = datetime.now(UTC) + timedelta(seconds=job.first_in)
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.seconds,
            id=job.name,
            coalesce=True,
            max_instances=1,
            **first,
        )
    return scheduler
