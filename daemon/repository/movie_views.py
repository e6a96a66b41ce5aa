"""Reads for the review page's movies: one page of rows at a time, each found by an index
(a movie's frames by (movie, name), its faces by (movie, frame, number))."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

import peewee as pw

from daemon.repository.records import MOVIE_KEY_LENGTH, MovieRecord, StageRunRecord
from daemon.repository.rows import box_of, grouped_counts, movie_record
from daemon.repository.view_records import (
    FaceInFrame,
    FrameCounts,
    FrameView,
    ShotView,
    StageClock,
)
from daemon.store import (
    Character,
    FaceRow,
    FrameRow,
    FrameSceneRow,
    Movie,
    MovieState,
    ShotRow,
    StageRun,
    StageStatus,
)
from handlers.quality import Verdict
from handlers.shots import ShotKind

_KEPT = Verdict.KEPT.value


class MovieViews:
    def movie_count(self, state: MovieState | None = None) -> int:
        return int(_movies_in(state).count())

    def movies_newest_first(
        self, offset: int, limit: int, state: MovieState | None = None
    ) -> list[MovieRecord]:
        """`state`: only the movies in it (None: every movie)."""
        query = _movies_in(state).order_by(Movie.created_at.desc(), Movie.id.desc())
        return [movie_record(row) for row in query.offset(offset).limit(limit)]

    def frame_counts(self, movie_ids: list[int]) -> dict[int, FrameCounts]:
        """Kept and rejected frames of each of these movies (absent: no frames yet)."""
        kept = pw.fn.SUM(pw.Case(None, [(FrameRow.verdict == _KEPT, 1)], 0))
        query = (
            FrameRow.select(FrameRow.movie, kept, pw.fn.COUNT(FrameRow.id))
            .where(FrameRow.movie.in_(movie_ids))
            .group_by(FrameRow.movie)
            .tuples()
        )
        rows = cast(Iterable[tuple[int, int, int]], query)
        return {movie: FrameCounts(int(k), int(n) - int(k)) for movie, k, n in rows}

    def running_stage_clocks(self, movie_ids: list[int]) -> dict[int, StageClock]:
        query = (
            StageRun.select(StageRun.movie, StageRun.stage, StageRun.started_at)
            .where(StageRun.movie.in_(movie_ids), StageRun.status == StageStatus.RUNNING.value)
            .tuples()
        )
        rows = cast(Iterable[tuple[int, str, datetime | None]], query)
        return {movie: StageClock(stage, started) for movie, stage, started in rows}

    def typical_stage_seconds(self) -> dict[str, float]:
        """Each stage's mean duration over the runs that finished it."""
        query = (
            StageRun.select(StageRun.stage, pw.fn.AVG(StageRun.seconds))
            .where(StageRun.status == StageStatus.DONE.value, StageRun.seconds.is_null(False))
            .group_by(StageRun.stage)
            .tuples()
        )
        rows = cast(Iterable[tuple[str, float]], query)
        return {str(stage): float(seconds) for stage, seconds in rows}

    def stage_timeline(self, movie_id: int) -> list[StageRunRecord]:
        """The movie's stage runs in the order they first ran, without their results."""
        fields = (StageRun.id, StageRun.stage, StageRun.status, StageRun.attempts)
        times = (StageRun.started_at, StageRun.finished_at, StageRun.seconds, StageRun.error)
        query = StageRun.select(*fields, *times).where(StageRun.movie == movie_id)
        return [
            StageRunRecord(
                r.stage,
                StageStatus(r.status),
                r.attempts,
                r.started_at,
                r.finished_at,
                r.seconds,
                r.error,
                None,
            )
            for r in query.order_by(StageRun.id)
        ]

    def stage_result_json(self, movie_id: int, stage: str) -> str | None:
        row = (
            StageRun.select(StageRun.result)
            .where(StageRun.movie == movie_id, StageRun.stage == stage)
            .first()
        )
        return str(row.result) if row is not None and row.result else None

    def frame_count(self, movie_id: int, kept: bool) -> int:
        return int(FrameRow.select().where(_frames_of(movie_id, kept)).count())

    def frames_page(self, movie_id: int, kept: bool, offset: int, limit: int) -> list[FrameView]:
        """Kept (or rejected) frames in movie order, `limit` of them from `offset`."""
        query = (
            FrameRow.select(FrameRow, Movie.sha256)
            .join(Movie)
            .where(_frames_of(movie_id, kept))
            .order_by(FrameRow.seconds, FrameRow.id)
            .offset(offset)
            .limit(limit)
        )
        return [_frame_view(row) for row in query]

    def faces_in_frames(self, movie_id: int, frames: list[str]) -> list[FaceInFrame]:
        query = (
            FaceRow.select(FaceRow, Character.name)
            .join(Character, pw.JOIN.LEFT_OUTER)
            .where(FaceRow.movie == movie_id, FaceRow.frame.in_(frames))
            .order_by(FaceRow.frame, FaceRow.number)
        )
        return [
            FaceInFrame(
                frame=r.frame,
                number=r.number,
                box=box_of(r),
                character=r.character.name if r.character is not None else None,
                cluster=r.cluster,
                confirmed=bool(r.confirmed),
                distance=r.distance if r.distance >= 0 else None,
            )
            for r in query
        ]

    def scenes_of_frames(self, movie_id: int, frames: list[str]) -> dict[str, int]:
        query = (
            FrameSceneRow.select(FrameSceneRow.frame, FrameSceneRow.scene)
            .where(FrameSceneRow.movie == movie_id, FrameSceneRow.frame.in_(frames))
            .tuples()
        )
        rows = cast(Iterable[tuple[str, int]], query)
        return {str(frame): int(scene) for frame, scene in rows}

    def shot_count(self, movie_id: int) -> int:
        return int(ShotRow.select().where(ShotRow.movie == movie_id).count())

    def shots_page(self, movie_id: int, offset: int, limit: int) -> list[ShotView]:
        rows = list(
            ShotRow.select()
            .where(ShotRow.movie == movie_id)
            .order_by(ShotRow.number)
            .offset(offset)
            .limit(limit)
        )
        kept = _kept_per_shot(movie_id, [row.number for row in rows])
        return [
            ShotView(
                r.number,
                r.start_seconds,
                r.end_seconds,
                ShotKind(r.kind),
                r.mean_motion,
                kept.get(r.number, 0),
            )
            for r in rows
        ]


def _movies_in(state: MovieState | None) -> pw.ModelSelect[Movie]:
    query = Movie.select()
    return query.where(Movie.state == state.value) if state is not None else query


def _frames_of(movie_id: int, kept: bool) -> pw.Expression:
    verdict = FrameRow.verdict == _KEPT if kept else FrameRow.verdict != _KEPT
    return (FrameRow.movie == movie_id) & verdict


def _kept_per_shot(movie_id: int, shots: list[int]) -> dict[int, int]:
    query = (
        FrameRow.select(FrameRow.shot, pw.fn.COUNT(FrameRow.id))
        .where(_frames_of(movie_id, kept=True), FrameRow.shot.in_(shots))
        .group_by(FrameRow.shot)
        .tuples()
    )
    return grouped_counts(query)


def _frame_view(row: FrameRow) -> FrameView:
    key = row.movie.sha256[:MOVIE_KEY_LENGTH]
    return FrameView(
        name=row.name,
        seconds=row.seconds,
        shot=row.shot,
        role=row.role,
        verdict=Verdict(row.verdict),
        reason=row.reason,
        file=f"movies/{key}/{row.file}" if row.file else None,
        sharpness=row.sharpness,
        relative_sharpness=row.relative_sharpness,
        brightness=row.brightness,
        flat_fraction=row.flat_fraction,
        duplicate_of=row.duplicate_of,
    )
