"""The free-space floor: below `disk.min_free_gb` in the library, no new work starts.

Frames, datasets and model runs all land in the library, and a disk that fills mid-stage
turns every movie into a failure. So the daemon measures free space every
`disk.check_seconds`; below the floor, workers claim no movie and training starts no run
(work already under way finishes), the log says why once, `bunny status` shows it, and
everything resumes by itself at the first reading above the floor.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from daemon.byte_sizes import BYTES_PER_GB, readable_size
from daemon.config import DiskConfig
from daemon.repository import DiskReading
from daemon.store import utcnow

__all__ = ["BYTES_PER_GB", "DiskGuard"]


class DiskGuard:
    def __init__(
        self,
        library: Path,
        settings: DiskConfig,
        on_reading: Callable[[DiskReading], None],
    ) -> None:
        self.library = library
        self.floor_bytes = round(settings.min_free_gb * BYTES_PER_GB)
        self._on_reading = on_reading
        self._paused = threading.Event()
        self._log = structlog.get_logger("daemon")

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def pause_reason(self) -> str | None:
        """Why new work waits, or None."""
        if not self.paused:
            return None
        return f"disk space low: under the {self.floor_bytes / BYTES_PER_GB:g} GB floor"

    def check(self) -> DiskReading:
        """Measure, pause or resume, and hand the reading on (a scheduler job)."""
        free = shutil.disk_usage(self.library).free
        reading = DiskReading(str(self.library), free, self.floor_bytes, utcnow())
        if reading.paused and not self.paused:
            self._paused.set()
            self._log.warning(
                "new work paused: disk space low; it resumes when space returns",
                free=readable_size(free),
                free_bytes=free,
                floor_gb=self.floor_bytes / BYTES_PER_GB,
                library=str(self.library),
            )
        elif not reading.paused and self.paused:
            self._paused.clear()
            self._log.info(
                "disk space back: new work resumes", free=readable_size(free), free_bytes=free
            )
        try:
            self._on_reading(reading)
        except Exception as exc:
            # The database shares the full disk: the pause stands; status measures by itself.
            self._log.warning("could not record the disk reading", error=str(exc))
        return reading
