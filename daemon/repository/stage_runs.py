"""Stage runs and the rows their results fill: shots, frames, faces, images."""

from __future__ import annotations

import json
from collections.abc import Iterator

from daemon.repository.characters import CharacterStore
from daemon.repository.records import (
    MOVIE_KEY_LENGTH,
    FrameRecord,
    StageRunRecord,
)
from daemon.repository.rows import (
    MASK64,
    box_columns,
    encoding_blob,
    replace_rows,
    signed64,
    stage_run_record,
)
from daemon.store import (
    DatasetImageRow,
    FaceRow,
    FrameRow,
    Movie,
    MovieState,
    ShotRow,
    StageRun,
    StageStatus,
    database,
    utcnow,
)
from handlers.dataset import DatasetImage, DatasetReport
from handlers.faces import FacesReport, FoundFace
from handlers.near_duplicates import IndexedFrame
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.result_codec import encode
from handlers.shots import Shot, ShotList


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
                self._replace_shots(movie_id, result.shots)
            if isinstance(result, QualityReport):
                self._replace_frames(movie_id, result.frames)
            if isinstance(result, FacesReport):
                self._replace_faces(movie_id, result.faces)
            if isinstance(result, DatasetReport):
                self._replace_dataset_images(movie_id, result.images)
            self._end_stage(
                movie_id,
                stage,
                StageStatus.DONE,
                seconds=seconds,
                result=json.dumps(encode(result), default=str),
                error=None,
            )

    def _replace_shots(self, movie_id: int, shots: tuple[Shot, ...]) -> None:
        rows = [
            {
                "movie": movie_id,
                "number": s.index,
                "start_seconds": s.start_seconds,
                "end_seconds": s.end_seconds,
                "kind": s.kind.value,
                "mean_motion": s.mean_motion,
            }
            for s in shots
        ]
        replace_rows(ShotRow, movie_id, rows)

    def _replace_frames(self, movie_id: int, frames: tuple[JudgedFrame, ...]) -> None:
        rows = [
            {
                "movie": movie_id,
                "name": f.name,
                "seconds": f.seconds,
                "shot": f.shot,
                "role": f.role,
                "verdict": f.verdict.value,
                "reason": f.reason,
                "file": f.file,
                "sharpness": f.sharpness,
                "relative_sharpness": f.relative_sharpness,
                "brightness": f.brightness,
                "flat_fraction": f.flat_fraction,
                "phash": signed64(int(f.phash, 16)),
                "duplicate_of": f.duplicate_of,
            }
            for f in frames
        ]
        replace_rows(FrameRow, movie_id, rows)

    def _replace_faces(self, movie_id: int, faces: tuple[FoundFace, ...]) -> None:
        ids = self._character_ids()
        rows = [
            {
                "movie": movie_id,
                "frame": f.frame,
                "number": f.number,
                **box_columns(f.box),
                "encoding": encoding_blob(f.encoding),
                "character": ids.get(f.character) if f.character else None,
                "distance": f.distance if f.distance is not None else -1.0,
                "runner_up": f.runner_up if f.runner_up is not None else -1.0,
            }
            for f in faces
        ]
        replace_rows(FaceRow, movie_id, rows)

    def _replace_dataset_images(self, movie_id: int, images: tuple[DatasetImage, ...]) -> None:
        ids = self._character_ids()
        rows = [
            {
                "movie": movie_id,
                "character": ids[image.character],
                "frame": image.frame,
                "file": image.file,
                "left": image.crop.left,
                "top": image.crop.top,
                "width": image.width,
                "height": image.height,
            }
            for image in images
            if image.character in ids
        ]
        replace_rows(DatasetImageRow, movie_id, rows)

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

    def _end_stage(self, movie_id: int, stage: str, status: StageStatus, **fields: object) -> None:
        StageRun.update(status=status.value, finished_at=utcnow(), **fields).where(
            StageRun.movie == movie_id, StageRun.stage == stage
        ).execute()

    def requeue_stages(self, movie_ids: set[int], stages: tuple[str, ...], busy_too: bool) -> None:
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
            Movie.update(
                state=MovieState.QUEUED.value, finished_at=None, updated_at=utcnow()
            ).where(Movie.id.in_(chosen), Movie.state == MovieState.DONE.value).execute()

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
