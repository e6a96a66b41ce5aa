"""Take a settled inbox file: identify it by sha256 and queue it, skip it, or set it aside.

A file already seen with the same size and mtime is not hashed again. A byte-identical copy
of a known movie is skipped with a log line, under any name; a copy of a rejected one is
rejected for the same reason. Symbolic links are followed (the movie is read through the
link) unless `watcher.follow_symlinks` is false; a link is only ever moved as a link.

`take` runs on the intake workers, several files at once: hashing a big movie does not hold
up the small ones. Only the decision that follows a hash (queue, skip, reject) is made one
file at a time, so two copies of one movie taken together never make two movies.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import structlog

from daemon.display_text import printable
from daemon.intake.inbox import InboxLayout, is_present, move_aside
from daemon.intake.inbox_open import UnusableFileError, open_inbox_file, sha256_of_handle
from daemon.repository import MOVIE_KEY_LENGTH, InboxFileRecord, MovieRecord, Repository
from daemon.store import InboxFileStatus, MovieState


@dataclass(frozen=True)
class IntakeSettings:
    inbox: InboxLayout
    follow_symlinks: bool


class MovieIntake:
    def __init__(
        self, repo: Repository, settings: IntakeSettings, stop: threading.Event | None = None
    ) -> None:
        self._repo = repo
        self._settings = settings
        self._stop = stop
        self._deciding = threading.Lock()
        self._log = structlog.get_logger("intake")

    def take(self, path: Path) -> MovieRecord | None:
        """Handle one settled file; returns the movie it queued, if any."""
        with structlog.contextvars.bound_contextvars(
            movie=None, stage="intake", job=uuid.uuid4().hex[:8], file=path.name
        ):
            try:
                with open_inbox_file(path, self._settings.follow_symlinks) as opened:
                    known = self._repo.inbox_file(path)
                    if known and (known.size, known.mtime_ns) == (opened.size, opened.mtime_ns):
                        return None
                    self._log.debug("identifying file", size=opened.size)
                    digest = sha256_of_handle(opened.handle, self._stop)
            except UnusableFileError as exc:
                with self._deciding:
                    self._reject(path, str(exc))
                return None
            structlog.contextvars.bind_contextvars(movie=digest[:MOVIE_KEY_LENGTH])
            record = InboxFileRecord(
                path, opened.size, opened.mtime_ns, digest, InboxFileStatus.TAKEN, None
            )
            with self._deciding:
                return self._queue_or_skip(path, record)

    def _queue_or_skip(self, path: Path, record: InboxFileRecord) -> MovieRecord | None:
        assert record.sha256 is not None
        existing = self._repo.movie_by_sha(record.sha256)
        if existing is None:
            movie = self._repo.add_movie(record.sha256, printable(path.name), path, record.size)
            self._repo.record_inbox_file(_with(record, InboxFileStatus.TAKEN, movie.id))
            self._log.info("movie queued", size=record.size, path=str(path))
            return movie
        if existing.state is MovieState.REJECTED:
            reason = f"identical to {existing.name}, rejected earlier: {existing.last_error}"
            self._reject(path, reason)
            return None
        if existing.path == path or not is_present(existing.path):
            # The same file touched, or the known copy moved here: follow it, no new movie.
            self._repo.set_movie_path(existing.id, path)
            self._repo.record_inbox_file(_with(record, InboxFileStatus.TAKEN, existing.id))
            return None
        self._repo.record_inbox_file(_with(record, InboxFileStatus.DUPLICATE, existing.id))
        self._log.info(
            "duplicate skipped: byte-identical to a known movie",
            same_as=existing.name,
            state=existing.state.value,
        )
        return None

    def _reject(self, path: Path, reason: str) -> None:
        moved = move_aside(path, self._settings.inbox.rejected, reason)
        self._repo.forget_inbox_file(path)
        self._log.warning("file rejected", reason=reason, moved_to=str(moved))


def _with(record: InboxFileRecord, status: InboxFileStatus, movie_id: int) -> InboxFileRecord:
    return InboxFileRecord(
        record.path, record.size, record.mtime_ns, record.sha256, status, movie_id
    )
