"""Periodic jobs of the daemon (apscheduler): rescan, heartbeat, corrections, clustering."""

from __future__ import annotations

import threading
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


def start_repeating(
    job: PeriodicJob, stop: threading.Event, fail: Callable[[Exception], None]
) -> threading.Thread:
    """`job` every `job.seconds` on its own thread until `stop`, for jobs of a fraction of a
    second (apscheduler would warn each time one run outlasted the interval). An error ends
    the repeats and is handed to `fail`, which ends the daemon."""

    def repeat() -> None:
        while not stop.wait(job.seconds):
            try:
                job.run()
            except Exception as exc:
                fail(exc)
                return

    thread = threading.Thread(target=repeat, name=job.name, daemon=True)
    thread.start()
    return thread
