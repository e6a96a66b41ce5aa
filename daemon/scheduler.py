"""Periodic jobs of the daemon (apscheduler): rescan, heartbeat, corrections, clustering."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

HEARTBEAT_SECONDS = 5.0
CORRECTIONS_SECONDS = 60.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    seconds: float


def build_scheduler(jobs: Sequence[PeriodicJob]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    for job in jobs:
        # coalesce + max_instances=1: a job that overruns its interval is not stacked up.
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.seconds,
            id=job.name,
            coalesce=True,
            max_instances=1,
        )
    return scheduler
