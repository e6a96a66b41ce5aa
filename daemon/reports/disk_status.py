"""The library's disk as the commands that only look see it: free space, and whether the
daemon has paused new work for it (`bunny status`, `bunny characters`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from daemon.byte_sizes import BYTES_PER_GB, readable_size
from daemon.config import Config
from daemon.repository import Repository

# Below this, a frame, a dataset image or the database's next page may not fit: full.
FULL_BELOW_BYTES = 64_000_000


@dataclass(frozen=True)
class DiskLine:
    path: str
    free: str  # in the unit that shows it: 14.7 MB, 1.47 GB
    free_bytes: int
    free_gb: float
    floor_gb: float  # 0: never paused
    paused: bool  # the daemon runs, and its last reading or this one is under the floor
    full: bool  # under FULL_BELOW_BYTES: the daemon cannot write, floor or not


def disk_line(repo: Repository, config: Config, running: bool) -> DiskLine | None:
    try:
        free = shutil.disk_usage(config.library).free
    except OSError:
        return None
    reading = repo.disk_reading()
    # The daemon's own reading may not have been saved: the database is on that disk too.
    under_floor = free < config.disk.min_free_gb * BYTES_PER_GB
    return DiskLine(
        path=str(config.library),
        free=readable_size(free),
        free_bytes=free,
        free_gb=round(free / BYTES_PER_GB, 3),
        floor_gb=config.disk.min_free_gb,
        paused=running and (under_floor or (reading is not None and reading.paused)),
        full=free < FULL_BELOW_BYTES,
    )


def paused_reason(disk: DiskLine | None) -> str | None:
    """Why new work is paused, in a few words; None when it is not."""
    if disk is None or not disk.paused:
        return None
    return f"{disk.free} free, floor {disk.floor_gb:g} GB"
