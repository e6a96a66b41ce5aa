"""Periodic jobs of the daemon (apscheduler): the inbox rescan, the heartbeat, clustering."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

HEARTBEAT_SECONDS = 5.0


def build_scheduler(
    rescan: Callable[[], object],
    rescan_minutes: float,
    heartbeat: Callable[[], object],
    cluster: Callable[[], object] | None = None,
    cluster_minutes: float = 10.0,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    # coalesce + max_instances=1: a rescan that overruns its interval is not stacked up.
    scheduler.add_job(
        rescan, "interval", minutes=rescan_minutes, id="rescan", coalesce=True, max_instances=1
    )
    scheduler.add_job(
        heartbeat,
        "interval",
        seconds=HEARTBEAT_SECONDS,
        id="heartbeat",
        coalesce=True,
        max_instances=1,
    )
    if cluster is not None:
        scheduler.add_job(
            cluster,
            "interval",
            minutes=cluster_minutes,
            id="cluster",
            coalesce=True,
            max_instances=1,
        )
    return scheduler
