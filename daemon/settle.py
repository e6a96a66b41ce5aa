"""The settle gate: a file is taken only once it has stopped changing.

Watcher events and rescans call `observe` (from any thread); the intake loop calls `due`,
which returns the files whose size and mtime have stayed the same for the quiet period.
The clock starts at the first sighting, not at the file's mtime: a copy tool may set an
old mtime on a file it is still writing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Sighting:
    size: int
    mtime_ns: int
    changed_at: float


class SettleGate:
    def __init__(self, quiet_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._waiting: dict[Path, _Sighting | None] = {}
        self._lock = threading.Lock()

    def observe(self, path: Path) -> None:
        with self._lock:
            self._waiting.setdefault(path, None)

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def due(self) -> list[Path]:
        """Files that have settled; they leave the gate. Vanished files are dropped."""
        now = self._clock()
        with self._lock:
            candidates = list(self._waiting.items())
        settled: list[Path] = []
        for path, sighting in candidates:
            try:
                stat = path.stat()
            except OSError:
                # Gone, or a link whose target is missing: the intake says why, not us.
                if path.is_symlink():
                    settled.append(path)
                else:
                    self._forget(path)
                continue
            if sighting is None or (stat.st_size, stat.st_mtime_ns) != (
                sighting.size,
                sighting.mtime_ns,
            ):
                with self._lock:
                    self._waiting[path] = _Sighting(stat.st_size, stat.st_mtime_ns, now)
            elif now - sighting.changed_at >= self.quiet_seconds:
                settled.append(path)
        for path in settled:
            self._forget(path)
        return settled

    def _forget(self, path: Path) -> None:
        with self._lock:
            self._waiting.pop(path, None)
