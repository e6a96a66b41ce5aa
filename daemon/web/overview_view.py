"""What the overview shows, taken from the report `bunny status --json` prints."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.config import Config
from daemon.reports.status import MovieLine, StatusReport, build_report
from daemon.repository import Repository
from daemon.store import MovieState, utcnow

IN_FLIGHT = frozenset({MovieState.RUNNING.value, MovieState.QUEUED.value, MovieState.WAITING.value})


@dataclass(frozen=True)
class OverviewView:
    report: StatusReport
    in_flight: list[MovieLine]  # running first, then queued and waiting
    failed: list[MovieLine]
    errors: list[MovieLine]  # in flight with the error of a try that failed


def overview(repo: Repository, config: Config) -> OverviewView:
    report = build_report(repo, utcnow(), config)
    flying = [m for m in report.movies if m.state in IN_FLIGHT]
    flying.sort(key=lambda m: m.state != MovieState.RUNNING.value)
    return OverviewView(
        report=report,
        in_flight=flying,
        failed=[m for m in report.movies if m.state == MovieState.FAILED.value],
        errors=[m for m in flying if m.last_error],
    )
