"""Files written under a temporary name hold their batch back for the quiet period only."""

from __future__ import annotations

from pathlib import Path

from daemon.intake.partial_copies import PartialCopies


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_temporary_file_arrives_while_written_and_is_forgotten_a_quiet_period_after() -> None:
    clock = Clock()
    partial = PartialCopies(5.0, clock)
    copying = Path("/inbox/images/trip/.photo.jpg.Xa3k")
    partial.written(copying)
    clock.now += 4.0
    partial.written(copying)  # still being written
    clock.now += 4.0
    assert partial.arriving() == [copying]
    clock.now += 1.5  # an aborted copy's leftover: no longer holds its batch
    assert partial.arriving() == []
