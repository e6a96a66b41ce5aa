"""The settle gate: a file is taken only once it has stopped changing.

Watcher events and rescans call `observe` (from any thread); the intake loop calls `due`,
which returns the files whose size and mtime have stayed the same for the quiet period.
The clock starts at the first sighting, not at the file's mtime: a copy tool may set an
old mtime on a file it is still writing. A file the daemon may not even look at (in a
folder it cannot search) leaves the gate with a warning, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from daemon.intake.unreadable import UnreadableNotices


@dataclass
class _Sighting:
    size: int
    mtime_ns: int
    changed_at: float


class SettleGate:
    def __init__(
        self,
        quiet_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        unreadable: UnreadableNotices | None = None,
    ) -> None:
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._unreadable = unreadable or UnreadableNotices()
        self._waiting: dict[Path, _Sighting | None] = {}
        self._lock = threading.Lock()

    def observe(self, path: Path) -> None:
        with self._lock:
            self._waiting.setdefault(path, None)

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def pending_paths(self) -> list[Path]:
        with self._lock:
            return list(self._waiting)

    def due(self) -> list[Path]:
        """Files that have settled; they leave the gate. Vanished files are dropped."""
        now = self._clock()
        with self._lock:
            candidates = list(self._waiting.items())
        settled: list[Path] = []
        for path, sighting in candidates:
            try:
                stat = path.stat()
            except OSError as exc:
                # A link whose target is missing or unreadable: the intake says why, not us.
                if _is_link(path):
                    settled.append(path)
                else:
                    if isinstance(exc, PermissionError):
                        self._unreadable.report(path, exc)
                    self._forget(path)
                continue
            self._unreadable.readable(path)
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


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:  # its folder may not be searched
        return False
