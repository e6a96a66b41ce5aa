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
from daemon.intake.partial_copies import PartialCopies
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
            self._watcher.folder_arrived(path)
        else:
            self._watcher.offer(path)


class InboxWatcher:
    def __init__(
        self,
        folders: Sequence[Path],
        gate: SettleGate,
        temp_suffixes: tuple[str, ...],
        unreadable: UnreadableNotices | None = None,
        offer_links_in: Path | None = None,
        partial: PartialCopies | None = None,
    ) -> None:
        """`offer_links_in`: below this folder a link to a folder is offered too, to be set
        aside with its reason (inbox/images/, where folders are dropped); `partial`: told of
        the files written under a temporary name."""
        self.folders = list(folders)
        self._offer_links_in = offer_links_in
        self._partial = partial
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
        elif self._partial is not None:
            self._partial.written(path)

    def folder_arrived(self, path: Path) -> None:
        if not path.is_symlink():
            # A folder moved in brings files that raise no events of their own.
            self.scan_folder(path)
        elif self._offer_links_in is not None and path.is_relative_to(self._offer_links_in):
            self.offer(path)

    def rescan(self) -> int:
        """Offer every file in the drop folders to the gate; returns how many were seen."""
        return sum(self.scan_folder(folder) for folder in self.folders)

    def scan_folder(self, folder: Path) -> int:
        count = 0
        links = self._offer_links_in is not None and folder.is_relative_to(self._offer_links_in)
        for path in _files_below(folder, self._unreadable, links):
            self.offer(path)
            count += 1
        return count


def _files_below(folder: Path, unreadable: UnreadableNotices, links: bool) -> Iterator[Path]:
    def skipped(error: OSError) -> None:
        if isinstance(error, PermissionError):  # a folder gone meanwhile is no news
            unreadable.report(Path(error.filename or folder), error)

    # os.walk does not descend into linked folders, so a link cannot make the scan loop; where
    # `links`, the link is offered as a file, to be set aside with its reason.
    for root, dirs, files in os.walk(folder, onerror=skipped):
        unreadable.readable(Path(root))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            yield Path(root) / name
        for name in dirs if links else ():
            if (Path(root) / name).is_symlink():
                yield Path(root) / name
