"""Inbox files, the movie queue and the daemon's heartbeat."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import peewee as pw

from daemon.repository.records import (
    Heartbeat,
    InboxFileRecord,
    MovieRecord,
)
from daemon.repository.rows import (
    movie_record,
)
from daemon.store import (
    InboxFile,
    InboxFileStatus,
    Meta,
    Movie,
    MovieState,
    StageRun,
    StageStatus,
    database,
    utcnow,
)


def _due(now: datetime) -> pw.Expression:
    """Movies a worker may take now: queued, or waiting for a retry whose time has come."""
    return (Movie.state == MovieState.QUEUED.value) | (
        (Movie.state == MovieState.WAITING.value) & (Movie.next_attempt_at <= now)
    )


class MovieQueue:
    def inbox_file(self, path: Path) -> InboxFileRecord | None:
        row = InboxFile.get_or_none(InboxFile.path == str(path))
        if row is None:
            return None
        return InboxFileRecord(
            Path(row.path),
            row.size,
            row.mtime_ns,
            row.sha256,
            InboxFileStatus(row.status),
            row.movie_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
        )

    def record_inbox_file(self, record: InboxFileRecord) -> None:
        InboxFile.replace(
            path=str(record.path),
            size=record.size,
            mtime_ns=record.mtime_ns,
            sha256=record.sha256,
            status=record.status.value,
            movie=record.movie_id,
            seen_at=utcnow(),
        ).execute()

    def forget_inbox_file(self, path: Path) -> None:
        InboxFile.delete().where(InboxFile.path == str(path)).execute()

    def movie_by_sha(self, sha256: str) -> MovieRecord | None:
        row = Movie.get_or_none(Movie.sha256 == sha256)
        return movie_record(row) if row else None

    def movie(self, movie_id: int) -> MovieRecord:
        return movie_record(Movie.get_by_id(movie_id))

    def movie_key(self, movie_id: int) -> str:
        return self.movie(movie_id).key

    def find_movies(self, key_prefix: str) -> list[MovieRecord]:
        rows = Movie.select().where(Movie.sha256.startswith(key_prefix.lower()))
        return [movie_record(r) for r in rows]

    def movies(self) -> list[MovieRecord]:
        return [movie_record(r) for r in Movie.select().order_by(Movie.created_at, Movie.id)]

    def add_movie(self, sha256: str, name: str, path: Path, size: int) -> MovieRecord:
        with database.atomic():
            row = Movie.create(sha256=sha256, name=name, path=str(path), size=size)
        return movie_record(row)

    def set_movie_path(self, movie_id: int, path: Path) -> None:
        self._update_movie(movie_id, path=str(path))

    def requeue_abandoned(self) -> list[MovieRecord]:
        """Movies a dead process left running go back to the queue; returns them."""
        with database.atomic("IMMEDIATE"):
            rows = list(Movie.select().where(Movie.state == MovieState.RUNNING.value))
            ids = [r.id for r in rows]
            if ids:
                Movie.update(state=MovieState.QUEUED.value, updated_at=utcnow()).where(
                    Movie.id.in_(ids)
                ).execute()
                StageRun.update(status=StageStatus.PENDING.value).where(
                    StageRun.movie.in_(ids), StageRun.status == StageStatus.RUNNING.value
                ).execute()
        return [movie_record(r) for r in rows]

    def claim_next(self, now: datetime) -> MovieRecord | None:
        """Atomically take the oldest runnable movie and mark it running."""
        with database.atomic("IMMEDIATE"):
            row = Movie.select().where(_due(now)).order_by(Movie.created_at, Movie.id).first()
            if row is None:
                return None
            Movie.update(state=MovieState.RUNNING.value, updated_at=now).where(
                Movie.id == row.id
            ).execute()
        return self.movie(row.id)

    def count_unfinished(self, now: datetime) -> int:
        """Movies queued, running, or waiting for a retry that is already due."""
        return int(
            Movie.select().where(_due(now) | (Movie.state == MovieState.RUNNING.value)).count()
        )

    def set_progress(self, movie_id: int, stage: str, progress: float) -> None:
        self._update_movie(movie_id, stage=stage, progress=progress)

    def mark_done(self, movie_id: int) -> None:
        self._update_movie(
            movie_id,
            state=MovieState.DONE.value,
            stage=None,
            progress=1.0,
            last_error=None,
            next_attempt_at=None,
            finished_at=utcnow(),
        )

    def mark_rejected(self, movie_id: int, reason: str) -> None:
        self._update_movie(
            movie_id, state=MovieState.REJECTED.value, last_error=reason, finished_at=utcnow()
        )

    def mark_queued(self, movie_id: int) -> None:
        self._update_movie(movie_id, state=MovieState.QUEUED.value)

    def schedule_retry(self, movie_id: int, error: str, attempts: int, at: datetime) -> None:
        self._update_movie(
            movie_id,
            state=MovieState.WAITING.value,
            last_error=error,
            attempts=attempts,
            next_attempt_at=at,
        )

    def mark_failed(self, movie_id: int, error: str, attempts: int) -> None:
        self._update_movie(
            movie_id,
            state=MovieState.FAILED.value,
            last_error=error,
            attempts=attempts,
            next_attempt_at=None,
            finished_at=utcnow(),
        )

    def retry(self, movie_ids: list[int]) -> None:
        """Requeue failed or waiting movies now, with a fresh back-off ladder."""
        Movie.update(
            state=MovieState.QUEUED.value,
            attempts=0,
            next_attempt_at=None,
            finished_at=None,
            updated_at=utcnow(),
        ).where(Movie.id.in_(movie_ids)).execute()

    def _update_movie(self, movie_id: int, **fields: object) -> None:
        Movie.update(updated_at=utcnow(), **fields).where(Movie.id == movie_id).execute()

    def beat(self, pid: int | None = None) -> None:
        value = json.dumps({"pid": pid or os.getpid(), "at": utcnow().isoformat()})
        Meta.replace(key="heartbeat", value=value).execute()

    def heartbeat(self) -> Heartbeat | None:
        row = Meta.get_or_none(Meta.key == "heartbeat")
        if row is None:
            return None
        data = json.loads(row.value)
        return Heartbeat(pid=int(data["pid"]), at=datetime.fromisoformat(data["at"]))

    def clear_heartbeat(self) -> None:
        Meta.delete().where(Meta.key == "heartbeat").execute()
