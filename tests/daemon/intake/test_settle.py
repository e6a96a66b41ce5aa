"""daemon/intake/settle.py: a file is due only after it stopped changing for the quiet period."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.intake.settle import SettleGate

QUIET = 5.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gate(clock: FakeClock) -> SettleGate:
    return SettleGate(QUIET, clock=clock)


@pytest.fixture
def movie(tmp_path: Path) -> Path:
    path = tmp_path / "movie.mp4"
    path.write_bytes(b"x" * 100)
    return path


def test_not_due_until_quiet_period_passed(gate: SettleGate, clock: FakeClock, movie: Path) -> None:
    gate.observe(movie)
    assert gate.due() == []
    clock.advance(QUIET - 0.1)
    assert gate.due() == []
    assert gate.pending() == 1
    clock.advance(0.1)
    assert gate.due() == [movie]
    assert gate.pending() == 0
    clock.advance(QUIET * 2)
    assert gate.due() == []


def test_growing_file_resets_the_timer(gate: SettleGate, clock: FakeClock, movie: Path) -> None:
    gate.observe(movie)
    assert gate.due() == []
    clock.advance(4)
    with movie.open("ab") as handle:
        handle.write(b"more")
    assert gate.due() == []  # the change is seen now; the quiet period starts again
    clock.advance(4)
    assert gate.due() == []  # 8 s since the first sighting, 4 since the change
    clock.advance(1)
    assert gate.due() == [movie]


def test_changed_mtime_alone_resets_the_timer(
    gate: SettleGate, clock: FakeClock, movie: Path
) -> None:
    gate.observe(movie)
    assert gate.due() == []
    clock.advance(4)
    stat = movie.stat()
    os.utime(movie, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert movie.stat().st_size == stat.st_size
    assert gate.due() == []
    clock.advance(4)
    assert gate.due() == []
    clock.advance(1)
    assert gate.due() == [movie]


def test_file_with_an_old_mtime_still_waits(
    gate: SettleGate, clock: FakeClock, movie: Path
) -> None:
    # The clock starts at the first sighting, not at the mtime a copy tool may have set.
    os.utime(movie, (0, 0))
    gate.observe(movie)
    assert gate.due() == []
    clock.advance(QUIET)
    assert gate.due() == [movie]


def test_vanished_file_is_dropped(gate: SettleGate, clock: FakeClock, movie: Path) -> None:
    gate.observe(movie)
    assert gate.due() == []
    movie.unlink()
    clock.advance(QUIET)
    assert gate.due() == []
    assert gate.pending() == 0


def test_observe_twice_does_not_duplicate_nor_delay(
    gate: SettleGate, clock: FakeClock, movie: Path
) -> None:
    gate.observe(movie)
    gate.observe(movie)
    assert gate.pending() == 1
    assert gate.due() == []
    clock.advance(3)
    gate.observe(movie)  # another event for an unchanged file
    assert gate.pending() == 1
    clock.advance(QUIET - 3)
    assert gate.due() == [movie]
    assert gate.pending() == 0


def test_files_settle_independently(
    gate: SettleGate, clock: FakeClock, movie: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.mkv"
    other.write_bytes(b"y")
    gate.observe(movie)
    assert gate.due() == []
    clock.advance(3)
    gate.observe(other)
    assert gate.due() == []
    clock.advance(QUIET - 3)
    assert gate.due() == [movie]
    assert gate.pending() == 1
    clock.advance(3)
    assert gate.due() == [other]


def test_broken_symlink_is_due_at_once(gate: SettleGate, tmp_path: Path) -> None:
    link = tmp_path / "broken.mp4"
    link.symlink_to(tmp_path / "missing.mp4")
    gate.observe(link)
    assert gate.due() == [link]
    assert gate.pending() == 0


def test_symlink_to_a_settled_file(gate: SettleGate, clock: FakeClock, movie: Path) -> None:
    link = movie.with_name("link.mp4")
    link.symlink_to(movie)
    gate.observe(link)
    assert gate.due() == []
    clock.advance(QUIET)
    assert gate.due() == [link]
