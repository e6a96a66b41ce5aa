"""Files still being copied under a temporary name (rsync's `.name.XXXXXX`, `.part`...).

They are never taken (inbox.is_temporary_name), but while one is written in a batch folder
the batch is still arriving, and its part waits (image_batches): rsync renames each file as
it ends, so between two renames none of the batch's files is in the settle gate. A temporary
file counts for the quiet period after it was last written to, so the leftover of an aborted
copy holds its batch back for no longer than that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path


class PartialCopies:
    def __init__(self, quiet_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet_seconds = quiet_seconds
        self._clock = clock
        self._written_at: dict[Path, float] = {}
        self._lock = threading.Lock()

    def written(self, path: Path) -> None:
        """A temporary file was made or written to (a watcher event, or seen by a rescan)."""
        with self._lock:
            self._written_at[path] = self._clock()

    def arriving(self) -> list[Path]:
        """The temporary files written to within the quiet period."""
        since = self._clock() - self._quiet_seconds
        with self._lock:
            self._written_at = {p: at for p, at in self._written_at.items() if at >= since}
            return list(self._written_at)
