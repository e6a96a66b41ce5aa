"""Free space printed in a unit that shows it, on a real small disk with about 14.7 MB free:
`bunny status` (text and JSON), `bunny doctor` and the disk guard's log line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog.testing

from daemon.byte_sizes import readable_size
from daemon.commands.cli import main
from daemon.config import Config, DiskConfig
from daemon.repository import Repository
from daemon.service.disk_guard import DiskGuard
from tests.daemon.reports.test_doctor import doctor, line_for
from tests.daemon.small_disk import fill, small_disk

FREE = 14_700_000


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "library", megabytes=32) as folder:
        Repository(folder / "bunny.db").close()
        fill(folder / "filler", leave_bytes=FREE)
        yield folder


def shown(library: Path) -> str:
    free = shutil.disk_usage(library).free
    assert 14_000_000 <= free <= 15_000_000, free  # tmpfs counts whole pages
    return f"{readable_size(free)} free"


def test_status_shows_megabytes(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["status", "--library", str(library)])
    text = capsys.readouterr().out
    assert f"disk:     {shown(library)} in {library}" in text
    assert " MB free" in text and "0 GB" not in text
    main(["status", "--library", str(library), "--json"])
    disk = json.loads(capsys.readouterr().out)["disk"]
    assert disk["free"] == "14.7 MB"
    assert disk["free_bytes"] == pytest.approx(FREE, abs=100_000)


def test_doctor_shows_megabytes(library: Path, tmp_path: Path) -> None:
    _, lines = doctor(Config(inbox=tmp_path / "inbox", library=library))
    assert shown(library) in line_for(lines, "disk")


def test_the_pause_log_line_shows_megabytes(library: Path) -> None:
    guard = DiskGuard(library, DiskConfig(min_free_gb=1), lambda _: None)
    with structlog.testing.capture_logs() as logs:
        guard.check()
    (paused,) = [e for e in logs if e["event"].startswith("new work paused")]
    assert f"{paused['free']} free" == shown(library)
