"""One verdict on the daemon for monitoring: `bunny status` exits with it.

The exit status follows the Nagios plugin convention that most monitoring tools read:
0 ok, 1 warning (it runs, but something needs a look), 2 critical (it is not running, or
is paused), 3 unknown (no database: it never ran on this library).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Health(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass(frozen=True)
class Problem:
    health: Health
    text: str


@dataclass(frozen=True)
class HealthFacts:
    """What the verdict is drawn from, gathered by status.py."""

    daemon_running: bool
    heartbeat_age_seconds: float | None
    disk_paused_reason: str | None  # only while the daemon runs: a stopped one pauses nothing
    disk_full_reason: str | None  # no room left to write a frame or the database
    failed_movies: int
    open_breakers: tuple[str, ...]
    failed_training: tuple[str, ...]  # characters whose newest run failed


def assess(facts: HealthFacts) -> list[Problem]:
    problems = []
    if not facts.daemon_running:
        age = facts.heartbeat_age_seconds
        since = f" (last heartbeat {age:.0f} s ago)" if age is not None else ""
        problems.append(Problem(Health.CRITICAL, f"the daemon is not running{since}"))
    if facts.disk_full_reason:
        problems.append(Problem(Health.CRITICAL, facts.disk_full_reason))
    if facts.disk_paused_reason:
        problems.append(Problem(Health.CRITICAL, f"new work paused: {facts.disk_paused_reason}"))
    if facts.failed_movies:
        problems.append(
            Problem(Health.WARNING, f"{facts.failed_movies} movie(s) failed (`bunny retry`)")
        )
    for provider in facts.open_breakers:
        problems.append(Problem(Health.WARNING, f"caption provider {provider} is unavailable"))
    for character in facts.failed_training:
        problems.append(Problem(Health.WARNING, f"the last training run of {character} failed"))
    return problems


def verdict(problems: list[Problem]) -> Health:
    return max((problem.health for problem in problems), default=Health.OK)
