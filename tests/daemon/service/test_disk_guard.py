"""The free-space floor on a real disk: a real daemon pauses when a file fills the disk past
its floor and resumes by itself when the file is deleted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daemon.config import DiskConfig
from daemon.repository import DiskReading
from daemon.service.disk_guard import BYTES_PER_GB, DiskGuard
from tests.conftest import DaemonProcess, wait_for

MARGIN = 400_000_000  # the floor sits this far under the free space at the start
FILLER = 3 * MARGIN  # a file this big crosses the floor, with room for other writers


def fill(path: Path, size: int) -> None:
    """Really allocate `size` bytes on the disk (not a sparse file)."""
    with path.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, size)


def room_to_test(folder: Path) -> bool:
    return hasattr(os, "posix_fallocate") and shutil.disk_usage(folder).free > 4 * FILLER


def floor_gb(folder: Path) -> float:
    return (shutil.disk_usage(folder).free - MARGIN) / BYTES_PER_GB


def status(daemon: DaemonProcess) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon.commands.cli",
            "status",
            "--json",
            "--config",
            str(daemon.config),
        ],
        capture_output=True,
        check=False,
        cwd=daemon.root,
    )
    return done.returncode, json.loads(done.stdout)


def test_the_guard_pauses_under_the_floor_and_resumes_above(tmp_path: Path) -> None:
    if not room_to_test(tmp_path):
        pytest.skip("needs posix_fallocate and 5 GB free")
    readings: list[DiskReading] = []
    guard = DiskGuard(tmp_path, DiskConfig(min_free_gb=floor_gb(tmp_path)), readings.append)
    assert not guard.check().paused and guard.pause_reason() is None
    filler = tmp_path / "filler.bin"
    fill(filler, FILLER)
    try:
        assert guard.check().paused and guard.paused
        reason = guard.pause_reason()
        assert reason is not None and "GB floor" in reason
    finally:
        filler.unlink()
    assert not guard.check().paused and not guard.paused
    assert [r.paused for r in readings] == [False, True, False]
    assert DiskGuard(tmp_path, DiskConfig(min_free_gb=0), readings.append).check().floor_bytes == 0


def test_a_full_disk_pauses_the_daemon_and_space_back_resumes_it(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    tmp_path: Path,
) -> None:
    if not room_to_test(tmp_path):
        pytest.skip("needs posix_fallocate and 5 GB free")
    daemon = daemon_factory(disk={"min_free_gb": floor_gb(tmp_path), "check_seconds": 0.2})
    daemon.start()
    wait_for(lambda: any(e["event"] == "daemon started" for e in daemon.log_entries()))
    assert status(daemon)[0] == 0

    filler = daemon.library / "filler.bin"
    fill(filler, FILLER)
    try:
        wait_for(lambda: any("paused" in e["event"] for e in daemon.log_entries()), timeout=20)
        code, report = status(daemon)
        assert code == 2 and report["disk"]["paused"] is True
        assert report["health"]["problems"][0].startswith("new work paused")
        # A movie dropped now is taken in (recorded) but not worked on.
        (daemon.inbox / "movies" / "late.mp4").write_bytes(make_clip("guard.mp4").read_bytes())
        wait_for(lambda: status(daemon)[1]["movies"], timeout=30)
        time.sleep(1.0)
        assert [m["state"] for m in status(daemon)[1]["movies"]] == ["queued"]
    finally:
        filler.unlink()
    wait_for(lambda: status(daemon)[1]["movies"][0]["state"] == "done", timeout=60)
    code, report = status(daemon)
    assert code == 0 and report["disk"]["paused"] is False
    events = [e["event"] for e in daemon.log_entries()]
    assert "disk space back: new work resumes" in events
    assert daemon.alive()
