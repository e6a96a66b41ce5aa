"""Stage runs and the rows their results fill: shots, frames, faces, images."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from daemon.repository.characters import CharacterStore
from daemon.repository.records import (
    MOVIE_KEY_LENGTH,
    FrameRecord,
    StageRunRecord,
)
from daemon.repository.result_rows import (
    store_dataset_images,
    store_faces,
    store_frame_scenes,
    store_frames,
    store_shots,
)
from daemon.repository.rows import (
    MASK64,
    stage_run_record,
)
from daemon.store import (
    FrameRow,
    Movie,
    MovieState,
    PendingDeletion,
    StageRun,
    StageStatus,
    database,
    utcnow,
)
from handlers.dataset import DatasetReport
from handlers.faces import FacesReport
from handlers.near_duplicates import IndexedFrame
from handlers.quality import QualityReport, Verdict
from handlers.result_codec import encode
from handlers.scenes import ScenesReport
from handlers.shots import ShotList


class StageLedger(CharacterStore):
    def stage_runs(self, movie_id: int) -> dict[str, StageRunRecord]:
        rows = StageRun.select().where(StageRun.movie == movie_id).order_by(StageRun.id)
        return {r.stage: stage_run_record(r) for r in rows}

    def start_stage(self, movie_id: int, stage: str) -> int:
        """Mark the stage running and return its attempt number (1 for the first run)."""
        with database.atomic("IMMEDIATE"):
            row, _ = StageRun.get_or_create(movie=movie_id, stage=stage)
            row.status = StageStatus.RUNNING.value
            row.attempts += 1
            row.started_at = utcnow()
            row.finished_at = None
            row.error = None
            row.save()
            Movie.update(stage=stage, progress=0.0, updated_at=utcnow()).where(
                Movie.id == movie_id
            ).execute()
        return int(row.attempts)

    def finish_stage(self, movie_id: int, stage: str, seconds: float, result: object) -> None:
        """Store the stage's result (and its rows: shots, frames, faces) in one transaction."""
        with database.atomic("IMMEDIATE"):  # reads character ids, then writes
            if isinstance(result, ShotList):
                store_shots(movie_id, result.shots)
            if isinstance(result, QualityReport):
                store_frames(movie_id, result.frames)
            if isinstance(result, FacesReport):
                store_faces(movie_id, result.faces, self._character_ids())
            if isinstance(result, DatasetReport):
                store_dataset_images(movie_id, result.images, self._character_ids())
            if isinstance(result, ScenesReport):
                store_frame_scenes(movie_id, result)
            # The rows of the files it deleted are replaced: nobody can take them for a user's.
            PendingDeletion.delete().where(
                PendingDeletion.movie == movie_id, PendingDeletion.stage == stage
            ).execute()
            self._end_stage(
                movie_id,
                stage,
                StageStatus.DONE,
                seconds=seconds,
                result=json.dumps(encode(result), default=str),
                error=None,
            )

    def record_pending_deletions(self, movie_id: int, stage: str, files: tuple[str, ...]) -> None:
        """Library files the stage is about to delete (relative): recorded before they go."""
        with database.atomic():
            for file in files:
                PendingDeletion.insert(movie=movie_id, stage=stage, file=file).on_conflict(
                    conflict_target=[PendingDeletion.file],
                    update={PendingDeletion.movie: movie_id, PendingDeletion.stage: stage},
                ).execute()

    def fail_stage(self, movie_id: int, stage: str, seconds: float, error: str) -> None:
        self._end_stage(movie_id, stage, StageStatus.FAILED, seconds=seconds, error=error)

    def abandon_stage(self, movie_id: int, stage: str) -> None:
        """The daemon stopped mid-stage: it runs again from its start next time."""
        with database.atomic():
            StageRun.update(status=StageStatus.PENDING.value).where(
                StageRun.movie == movie_id, StageRun.stage == stage
            ).execute()
            Movie.update(state=MovieState.QUEUED.value, updated_at=utcnow()).where(
                Movie.id == movie_id
            ).execute()

    def defer_stage(self, movie_id: int, stage: str, reason: str, at: datetime) -> None:
        """A service the stage needs is down: it runs again at `at`, no attempt counted."""
        with database.atomic():
            StageRun.update(status=StageStatus.PENDING.value, error=reason).where(
                StageRun.movie == movie_id, StageRun.stage == stage
            ).execute()
            _wait(movie_id, reason, at)

    def defer_movie(self, movie_id: int, reason: str, at: datetime) -> None:
        """Nothing is wrong with the movie (the disk is full): its unfinished stage runs
        again at `at`, no attempt counted."""
        with database.atomic():
            StageRun.update(status=StageStatus.PENDING.value).where(
                StageRun.movie == movie_id, StageRun.status == StageStatus.RUNNING.value
            ).execute()
            _wait(movie_id, reason, at)

    def _end_stage(self, movie_id: int, stage: str, status: StageStatus, **fields: object) -> None:
        StageRun.update(status=status.value, finished_at=utcnow(), **fields).where(
            StageRun.movie == movie_id, StageRun.stage == stage
        ).execute()

    def requeue_stages(self, movie_ids: set[int], stages: tuple[str, ...], busy_too: bool) -> None:
        """Run these stages of these movies again; a running movie only when `busy_too`."""
        requeue_stages(movie_ids, stages, busy_too)

    def frames(self, movie_id: int) -> list[FrameRecord]:
        query = FrameRow.select().where(FrameRow.movie == movie_id).order_by(FrameRow.seconds)
        return [
            FrameRecord(
                name=r.name,
                seconds=r.seconds,
                verdict=r.verdict,
                reason=r.reason,
                file=r.file,
                phash=r.phash & MASK64,
            )
            for r in query
        ]

    def kept_frame_hashes(self) -> Iterator[tuple[IndexedFrame, int]]:
        """Every kept frame of every movie, for the near-duplicate index, oldest first."""
        query = (
            FrameRow.select(FrameRow.seconds, FrameRow.phash, Movie.sha256)
            .join(Movie)
            .where(FrameRow.verdict == Verdict.KEPT.value)
            .order_by(FrameRow.id)
            .tuples()
        )
        for seconds, phash, sha256 in query.iterator():
            yield IndexedFrame(sha256[:MOVIE_KEY_LENGTH], seconds), phash & MASK64


def requeue_stages(movie_ids: set[int], stages: tuple[str, ...], busy_too: bool) -> None:
    """Run these stages of these movies again; a running movie only when `busy_too`."""
    if not movie_ids or not stages:
        return
    with database.atomic("IMMEDIATE"):
        movies = Movie.select().where(Movie.id.in_(list(movie_ids)))
        allowed = {MovieState.DONE.value} | ({MovieState.RUNNING.value} if busy_too else set())
        chosen = [m.id for m in movies if m.state in allowed]
        if not chosen:
            return
        StageRun.update(status=StageStatus.PENDING.value).where(
            StageRun.movie.in_(chosen), StageRun.stage.in_(stages)
        ).execute()
        Movie.update(state=MovieState.QUEUED.value, finished_at=None, updated_at=utcnow()).where(
            Movie.id.in_(chosen), Movie.state == MovieState.DONE.value
        ).execute()


def _wait(movie_id: int, reason: str, at: datetime) -> None:
    """The movie waits until `at`, saying why."""
    Movie.update(
        state=MovieState.WAITING.value, last_error=reason, next_attempt_at=at, updated_at=utcnow()
    ).where(Movie.id == movie_id).execute()
