"""A real watchdog observer on a real folder feeding the settle gate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config import DEFAULT_TEMP_SUFFIXES
from daemon.intake.settle import SettleGate
from daemon.intake.watcher import InboxWatcher
from tests.conftest import wait_for


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, SettleGate]]:
    folder = tmp_path / "movies"
    folder.mkdir()
    gate = SettleGate(quiet_seconds=0.2)
    watcher = InboxWatcher([folder], gate, DEFAULT_TEMP_SUFFIXES)
    watcher.start()
    yield folder, gate
    watcher.stop()


def settled(gate: SettleGate) -> set[str]:
    seen: set[str] = set()

    def collect() -> bool:
        seen.update(p.name for p in gate.due())
        return gate.pending() == 0 and bool(seen)

    wait_for(collect, timeout=10)
    return seen


def test_created_file_reaches_the_gate(watched: tuple[Path, SettleGate]) -> None:
    folder, gate = watched
    (folder / "a.mp4").write_bytes(b"x" * 10)
    assert settled(gate) == {"a.mp4"}


def test_file_moved_in_reaches_the_gate(watched: tuple[Path, SettleGate], tmp_path: Path) -> None:
    folder, gate = watched
    outside = tmp_path / "b.mkv"
    outside.write_bytes(b"y" * 10)
    outside.rename(folder / "b.mkv")
    assert settled(gate) == {"b.mkv"}


def test_temporary_names_wait_until_renamed(watched: tuple[Path, SettleGate]) -> None:
    folder, gate = watched
    partial = folder / "c.mp4.part"
    partial.write_bytes(b"z" * 10)
    (folder / ".hidden.mp4").write_bytes(b"z")
    time.sleep(0.5)  # time for events that must not come
    assert gate.pending() == 0
    partial.rename(folder / "c.mp4")
    assert settled(gate) == {"c.mp4"}


def test_folder_moved_in_brings_its_files(watched: tuple[Path, SettleGate], tmp_path: Path) -> None:
    folder, gate = watched
    season = tmp_path / "Season 1"
    season.mkdir()
    (season / "e1.mp4").write_bytes(b"1")
    (season / "e2.mp4").write_bytes(b"2")
    season.rename(folder / "Season 1")
    assert settled(gate) == {"e1.mp4", "e2.mp4"}


def test_rescan_offers_files_present_before_start(tmp_path: Path) -> None:
    folder = tmp_path / "movies"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "old.mp4").write_bytes(b"o")
    (folder / "old.mp4.crdownload").write_bytes(b"o")
    gate = SettleGate(quiet_seconds=0)
    watcher = InboxWatcher([folder], gate, DEFAULT_TEMP_SUFFIXES)
    assert watcher.rescan() == 2
    assert gate.pending() == 1
