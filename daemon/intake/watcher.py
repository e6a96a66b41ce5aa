"""Watch the drop folders with watchdog, and rescan them in full on demand.

Events are lost while the daemon is down and on some network shares, so a full rescan runs
at start and periodically (the scheduler calls `rescan`). Both only hand paths to the settle
gate; nothing slow runs on the observer thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from daemon.intake.inbox import is_temporary_name
from daemon.intake.settle import SettleGate
from daemon.intake.unreadable import UnreadableNotices


class _Enqueue(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in {"created", "modified", "moved", "closed"}:
            return
        raw = event.dest_path if event.event_type == "moved" else event.src_path
        path = Path(os.fsdecode(raw))
        if event.is_directory:
            # A folder moved in brings files that raise no events of their own.
            self._watcher.scan_folder(path)
        else:
            self._watcher.offer(path)


class InboxWatcher:
    def __init__(
        self,
        folders: Sequence[Path],
        gate: SettleGate,
        temp_suffixes: tuple[str, ...],
        unreadable: UnreadableNotices | None = None,
    ) -> None:
        self.folders = list(folders)
        self._gate = gate
        self._temp_suffixes = temp_suffixes
        self._unreadable = unreadable or UnreadableNotices()
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        observer = Observer()
        for folder in self.folders:
            observer.schedule(_Enqueue(self), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def offer(self, path: Path) -> None:
        if not is_temporary_name(path, self._temp_suffixes):
            self._gate.observe(path)

    def rescan(self) -> int:
        """Offer every file in the drop folders to the gate; returns how many were seen."""
        return sum(self.scan_folder(folder) for folder in self.folders)

    def scan_folder(self, folder: Path) -> int:
        count = 0
        for path in _files_below(folder, self._unreadable):
            self.offer(path)
            count += 1
        return count


def _files_below(folder: Path, unreadable: UnreadableNotices) -> Iterator[Path]:
    def skipped(error: OSError) -> None:
        if isinstance(error, PermissionError):  # a folder gone meanwhile is no news
            unreadable.report(Path(error.filename or folder), error)

    # os.walk does not descend into linked folders, so a link cannot make the scan loop.
    for root, dirs, files in os.walk(folder, onerror=skipped):
        unreadable.readable(Path(root))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            yield Path(root) / name
