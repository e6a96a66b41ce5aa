"""Periodic jobs of the daemon (apscheduler): rescan, heartbeat, corrections, clustering."""

from __future__ import annotations

import threading
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
