"""Clustering on a schedule that survives restarts: a daemon restarted more often than
`faces.cluster_minutes` still clusters, soon after a start that finds the last one too old."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from daemon.store import utcnow
from tests.conftest import DaemonProcess, wait_for

INTERVAL_MINUTES = 10  # far longer than the test: only a start can make it cluster


def events(daemon: DaemonProcess, name: str) -> list[dict[str, object]]:
    return [e for e in daemon.log_entries() if e.get("event") == name]


def run_until(daemon: DaemonProcess, condition: Callable[[], object]) -> None:
    daemon.start()
    try:
        wait_for(condition, timeout=90)
    finally:
        daemon.signal(signal.SIGTERM)
        daemon.wait(timeout=60)


def clustered_at(daemon: DaemonProcess) -> datetime | None:
    repo = daemon.repository()
    try:
        return repo.clustered_at()
    finally:
        repo.close()


def test_restarts_keep_the_clustering_schedule(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(faces={"cluster_minutes": INTERVAL_MINUTES})
    # Never clustered: the first start clusters soon, not one interval later.
    run_until(daemon, lambda: events(daemon, "unknown faces clustered"))
    first = clustered_at(daemon)
    assert first is not None

    # Restarted a moment later: the next clustering is one interval after the last.
    run_until(daemon, lambda: len(events(daemon, "unknown faces: next clustering")) == 2)
    scheduled = str(events(daemon, "unknown faces: next clustering")[-1]["at"])
    due = datetime.fromisoformat(scheduled.rstrip("Z"))
    assert due - first == pytest.approx(
        timedelta(minutes=INTERVAL_MINUTES), abs=timedelta(seconds=5)
    )
    assert len(events(daemon, "unknown faces clustered")) == 1

    # The last clustering is older than the interval (many short runs since): soon again.
    repo = daemon.repository()
    try:
        repo.save_clustered_at(utcnow() - timedelta(minutes=INTERVAL_MINUTES + 1))
    finally:
        repo.close()
    run_until(daemon, lambda: len(events(daemon, "unknown faces clustered")) == 2)
    later = clustered_at(daemon)
    assert later is not None and later > first
