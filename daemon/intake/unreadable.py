"""Files and folders of the inbox the daemon may not read: a warning once each, then skipped.

Under its own user (the systemd unit's) the daemon meets folders it cannot list and files it
cannot even look at. Neither can be moved aside (the move needs the same permission), so
each is named once in the log with the reason, and left alone; the daemon goes on with the
rest. A path that becomes readable and then unreadable again is warned about again.
"""

from __future__ import annotations

import threading
from pathlib import Path

import structlog


class UnreadableNotices:
    def __init__(self) -> None:
        self._warned: set[Path] = set()
        self._lock = threading.Lock()
        self._log = structlog.get_logger("watcher")

    def report(self, path: Path, error: OSError) -> None:
        with self._lock:
            if path in self._warned:
                return
            self._warned.add(path)
        self._log.warning(
            "skipped: the daemon may not read it",
            path=str(path),
            error=error.strerror or str(error),
        )

    def readable(self, path: Path) -> None:
        """`path` was read again: a later failure is news."""
        with self._lock:
            self._warned.discard(path)
