"""The one door to the database: typed records in, typed records out.

Callers never see peewee rows or queries; each method is one small transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import numpy as np
import peewee as pw

from daemon.character_names import DEFAULT_CLASS_WORD, default_trigger_word
from daemon.store import (
    Character,
    Correction,
    CorrectionKind,
    DatasetImageRow,
    FaceRow,
    FrameRow,
    InboxFile,
    InboxFileStatus,
    Meta,
    Movie,
    MovieState,
    ReferenceFace,
    ShotRow,
    StageRun,
    StageStatus,
    database,
    open_database,
    utcnow,
)
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.near_duplicates import IndexedFrame
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.result_codec import encode
from handlers.shots import Shot, ShotList

MOVIE_KEY_LENGTH = 12
MASK64 = (1 << 64) - 1


def _replace_rows(
    model: type[ShotRow | FrameRow | FaceRow | DatasetImageRow],
    movie_id: int,
    rows: Sequence[Mapping[str, object]],
) -> None:
    """A stage's rows for one movie, replacing those of any earlier run of it."""
    model.delete().where(model.movie == movie_id).execute()
    for batch in pw.chunked(rows, 100):  # SQLite caps the variables in one statement
        model.insert_many(batch).execute()


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True)
class CharacterRecord:
    id: int
    name: str
    trigger_word: str
    class_word: str


@dataclass(frozen=True)
class StoredFace:
    id: int
    movie_id: int
    frame: str
    number: int
    box: FaceBox
    character: str | None
    encoding: tuple[float, ...]
    confirmed: bool = False


@dataclass(frozen=True)
class CharacterSummary:
    name: str
    trigger_word: str
    class_word: str
    references: int
    frames: int


@dataclass(frozen=True)
class StoredImage:
    id: int
    movie_id: int
    frame: str
    character: str
    file: str


@dataclass(frozen=True)
class CorrectionRecord:
    image_id: int
    face: StoredFace | None
    movie_id: int
    frame: str
    kind: CorrectionKind
    file_before: str
    file_after: str | None
    from_character: str
    to_character: str | None


@dataclass(frozen=True)
class CorrectionLogEntry:
    at: datetime
    kind: CorrectionKind
    frame: str
    from_character: str
    to_character: str | None
    file_before: str
    file_after: str | None
    face_id: int | None


@dataclass(frozen=True)
class MovieFace:
    frame: str
    box: FaceBox
    character: str | None
    distance: float | None


@dataclass(frozen=True)
class Relabel:
    face_id: int
    movie_id: int
    frame: str
    number: int
    character: str | None
    distance: float | None
    runner_up: float | None


def _box_columns(box: FaceBox) -> dict[str, int]:
    return {"top": box.top, "right": box.right, "bottom": box.bottom, "left": box.left}


def _box_of(row: FaceRow) -> FaceBox:
    return FaceBox(row.top, row.right, row.bottom, row.left)


def _encoding_blob(encoding: tuple[float, ...]) -> bytes:
    return np.asarray(encoding, dtype="<f8").tobytes()


def _encoding_of(blob: bytes) -> tuple[float, ...]:
    return tuple(float(x) for x in np.frombuffer(blob, dtype="<f8"))


@dataclass(frozen=True)
class FrameRecord:
    name: str
    seconds: float
    verdict: str
    reason: str | None
    file: str | None
    phash: int


@dataclass(frozen=True)
class MovieRecord:
    id: int
    key: str
    sha256: str
    name: str
    path: Path
    size: int
    state: MovieState
    stage: str | None
    progress: float
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class StageRunRecord:
    stage: str
    status: StageStatus
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    error: str | None
    result_json: str | None


@dataclass(frozen=True)
class InboxFileRecord:
    path: Path
    size: int
    mtime_ns: int
    sha256: str | None
    status: InboxFileStatus
    movie_id: int | None


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    at: datetime


def _counts(query: object) -> dict[int, int]:
    """A grouped (id, count) query as a dict."""
    return {int(key): int(count) for key, count in cast(Iterable[tuple[int, int]], query)}


def _name_of(character: Character | None) -> str | None:
    return character.name if character is not None else None


def _character(row: Character) -> CharacterRecord:
    return CharacterRecord(row.id, row.name, row.trigger_word, row.class_word)


def _movie(row: Movie) -> MovieRecord:
    return MovieRecord(
        id=row.id,
        key=row.sha256[:MOVIE_KEY_LENGTH],
        sha256=row.sha256,
        name=row.name,
        path=Path(row.path),
        size=row.size,
        state=MovieState(row.state),
        stage=row.stage,
        progress=row.progress,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _stage_run(row: StageRun) -> StageRunRecord:
    return StageRunRecord(
        stage=row.stage,
        status=StageStatus(row.status),
        attempts=row.attempts,
        started_at=row.started_at,
        finished_at=row.finished_at,
        seconds=row.seconds,
        error=row.error,
        result_json=row.result,
    )


def _due(now: datetime) -> pw.Expression:
    """Movies a worker may take now: queued, or waiting for a retry whose time has come."""
    return (Movie.state == MovieState.QUEUED.value) | (
        (Movie.state == MovieState.WAITING.value) & (Movie.next_attempt_at <= now)
    )


class Repository:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: pw.SqliteDatabase = open_database(path)

    def close(self) -> None:
        self._db.close()

    # --- inbox files -------------------------------------------------------------------
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

    # --- movies ------------------------------------------------------------------------
    def movie_by_sha(self, sha256: str) -> MovieRecord | None:
        row = Movie.get_or_none(Movie.sha256 == sha256)
        return _movie(row) if row else None

    def movie(self, movie_id: int) -> MovieRecord:
        return _movie(Movie.get_by_id(movie_id))

    def find_movies(self, key_prefix: str) -> list[MovieRecord]:
        rows = Movie.select().where(Movie.sha256.startswith(key_prefix.lower()))
        return [_movie(r) for r in rows]

    def movies(self) -> list[MovieRecord]:
        return [_movie(r) for r in Movie.select().order_by(Movie.created_at, Movie.id)]

    def add_movie(self, sha256: str, name: str, path: Path, size: int) -> MovieRecord:
        with database.atomic():
            row = Movie.create(sha256=sha256, name=name, path=str(path), size=size)
        return _movie(row)

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
        return [_movie(r) for r in rows]

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

    # --- stage runs --------------------------------------------------------------------
    def stage_runs(self, movie_id: int) -> dict[str, StageRunRecord]:
        rows = StageRun.select().where(StageRun.movie == movie_id).order_by(StageRun.id)
        return {r.stage: _stage_run(r) for r in rows}

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
        _replace_rows(ShotRow, movie_id, rows)

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
                "phash": _signed64(int(f.phash, 16)),
                "duplicate_of": f.duplicate_of,
            }
            for f in frames
        ]
        _replace_rows(FrameRow, movie_id, rows)

    def _replace_faces(self, movie_id: int, faces: tuple[FoundFace, ...]) -> None:
        ids = self._character_ids()
        rows = [
            {
                "movie": movie_id,
                "frame": f.frame,
                "number": f.number,
                **_box_columns(f.box),
                "encoding": _encoding_blob(f.encoding),
                "character": ids.get(f.character) if f.character else None,
                "distance": f.distance if f.distance is not None else -1.0,
                "runner_up": f.runner_up if f.runner_up is not None else -1.0,
            }
            for f in faces
        ]
        _replace_rows(FaceRow, movie_id, rows)

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
        _replace_rows(DatasetImageRow, movie_id, rows)

    def dataset_files(self, character: str) -> list[str]:
        query = (
            DatasetImageRow.select(DatasetImageRow.file)
            .join(Character)
            .where(Character.name == character)
            .order_by(DatasetImageRow.file)
        )
        return [row.file for row in query]

    def _character_ids(self) -> dict[str, int]:
        return {c.name: c.id for c in Character.select(Character.id, Character.name)}

    def characters(self) -> list[CharacterRecord]:
        return [_character(c) for c in Character.select().order_by(Character.name)]

    def character_summaries(self) -> list[CharacterSummary]:
        references = _counts(
            ReferenceFace.select(ReferenceFace.character, pw.fn.COUNT(ReferenceFace.id))
            .group_by(ReferenceFace.character)
            .tuples()
        )
        frames = _counts(
            FaceRow.select(
                FaceRow.character, pw.fn.COUNT(pw.fn.DISTINCT(FaceRow.movie.concat(FaceRow.frame)))
            )
            .where(FaceRow.character.is_null(False))
            .group_by(FaceRow.character)
            .tuples()
        )
        return [
            CharacterSummary(
                c.name, c.trigger_word, c.class_word, references.get(c.id, 0), frames.get(c.id, 0)
            )
            for c in self.characters()
        ]

    def character(self, name: str) -> CharacterRecord | None:
        row = Character.get_or_none(Character.name == name)
        return _character(row) if row else None

    def save_character(self, name: str, trigger_word: str, class_word: str) -> CharacterRecord:
        """Create the character, or update its words when it exists."""
        with database.atomic("IMMEDIATE"):  # a read, then a write: take the lock first
            row = Character.get_or_none(Character.name == name)
            if row is None:
                row = Character.create(name=name, trigger_word=trigger_word, class_word=class_word)
            else:
                row.trigger_word, row.class_word = trigger_word, class_word
                row.save()
            return _character(row)

    def has_reference(self, character_id: int, sha256: str) -> bool:
        query = ReferenceFace.select().where(
            (ReferenceFace.character == character_id) & (ReferenceFace.sha256 == sha256)
        )
        return bool(query.exists())

    def add_reference(
        self, character_id: int, sha256: str, file: str, box: FaceBox, encoding: tuple[float, ...]
    ) -> None:
        ReferenceFace.insert(
            character=character_id,
            sha256=sha256,
            file=file,
            **_box_columns(box),
            encoding=_encoding_blob(encoding),
        ).on_conflict_ignore().execute()

    def forget_missing_references(self, library: Path) -> list[str]:
        """References whose copy the user deleted from the library; returns their files."""
        gone = [r for r in ReferenceFace.select() if not (library / r.file).exists()]
        if gone:
            ReferenceFace.delete().where(ReferenceFace.id.in_([r.id for r in gone])).execute()
        return [r.file for r in gone]

    def reference_encodings(self) -> tuple[list[str], list[tuple[float, ...]]]:
        """Every reference's character name and encoding, for a ReferenceSet."""
        query = (
            ReferenceFace.select(Character.name, ReferenceFace.encoding)
            .join(Character)
            .order_by(ReferenceFace.id)
            .tuples()
        )
        rows = cast(list[tuple[str, bytes]], list(query))
        return [name for name, _ in rows], [_encoding_of(blob) for _, blob in rows]

    def stored_faces(self, where: pw.Expression | None = None) -> list[StoredFace]:
        """Stored faces, oldest first; `where` narrows them in SQL, not after loading all."""
        query = (
            FaceRow.select(FaceRow, Character.name)
            .join(Character, pw.JOIN.LEFT_OUTER)
            .order_by(FaceRow.id)
        )
        if where is not None:
            query = query.where(where)
        return [
            StoredFace(
                id=r.id,
                movie_id=r.movie_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
                frame=r.frame,
                number=r.number,
                box=_box_of(r),
                character=_name_of(r.character),
                encoding=_encoding_of(r.encoding),
                confirmed=bool(r.confirmed),
            )
            for r in query
        ]

    def faces_of_movie(self, movie_id: int) -> list[MovieFace]:
        query = (
            FaceRow.select(FaceRow, Character.name)
            .join(Character, pw.JOIN.LEFT_OUTER)
            .where(FaceRow.movie == movie_id)
            .order_by(FaceRow.frame, FaceRow.number)
        )
        return [
            MovieFace(
                frame=r.frame,
                box=_box_of(r),
                character=_name_of(r.character),
                distance=r.distance if r.distance >= 0 else None,
            )
            for r in query
        ]

    def relabel_faces(self, changes: list[Relabel]) -> None:
        """New labels for stored faces, in their rows and in their movie's `faces` result."""
        ids = self._character_ids()
        with database.atomic("IMMEDIATE"):
            for change in changes:
                FaceRow.update(
                    character=ids.get(change.character) if change.character else None,
                    distance=change.distance if change.distance is not None else -1.0,
                    runner_up=change.runner_up if change.runner_up is not None else -1.0,
                ).where(FaceRow.id == change.face_id).execute()
            by_movie: dict[int, dict[tuple[str, int], Relabel]] = {}
            for change in changes:
                by_movie.setdefault(change.movie_id, {})[(change.frame, change.number)] = change
            for movie_id, labels in by_movie.items():
                self._relabel_faces_result(movie_id, labels)

    def _relabel_faces_result(self, movie_id: int, labels: dict[tuple[str, int], Relabel]) -> None:
        run = StageRun.get_or_none((StageRun.movie == movie_id) & (StageRun.stage == "faces"))
        if run is None or not run.result:
            return
        result = json.loads(run.result)
        for face in result.get("faces", []):
            change = labels.get((face["frame"], face["number"]))
            if change is not None:
                face["character"] = change.character
                face["distance"], face["runner_up"] = change.distance, change.runner_up
        run.result = json.dumps(result)
        run.save()

    def unknown_faces(self) -> list[StoredFace]:
        return self.stored_faces(FaceRow.character.is_null())

    def set_clusters(self, clusters: dict[int, str | None]) -> None:
        """The cluster of each unknown face (None: in none), replacing the earlier ones."""
        with database.atomic("IMMEDIATE"):
            FaceRow.update(cluster=None).where(FaceRow.cluster.is_null(False)).execute()
            by_cluster: dict[str, list[int]] = {}
            for face_id, cluster in clusters.items():
                if cluster is not None:
                    by_cluster.setdefault(cluster, []).append(face_id)
            for cluster, ids in by_cluster.items():
                for batch in pw.chunked(ids, 500):
                    FaceRow.update(cluster=cluster).where(FaceRow.id.in_(batch)).execute()

    def cluster_faces(self, cluster: str) -> list[StoredFace]:
        return self.stored_faces(FaceRow.cluster == cluster)

    def name_faces(self, faces: list[StoredFace], character: str) -> set[int]:
        """Faces the user named (a cluster adopted): theirs whatever matching says later.

        Returns the movies they are in.
        """
        self.relabel_faces(
            [Relabel(f.id, f.movie_id, f.frame, f.number, character, 0.0, None) for f in faces]
        )
        with database.atomic("IMMEDIATE"):
            for batch in pw.chunked([f.id for f in faces], 500):
                FaceRow.update(cluster=None, confirmed=True).where(FaceRow.id.in_(batch)).execute()
        return {f.movie_id for f in faces}

    def references_stamp(self) -> tuple[int, int]:
        """Changes whenever a reference is added or removed, by this process or another."""
        row = ReferenceFace.select(
            pw.fn.COUNT(ReferenceFace.id), pw.fn.MAX(ReferenceFace.id)
        ).tuples()
        count, highest = cast(tuple[int, int | None], row.get())
        return int(count), int(highest or 0)

    def dataset_images(self) -> list[StoredImage]:
        query = DatasetImageRow.select(DatasetImageRow, Character.name).join(Character)
        return [
            StoredImage(
                r.id,
                r.movie_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
                r.frame,
                r.character.name,
                r.file,
            )
            for r in query
        ]

    def face_in_frame(self, movie_id: int, frame: str, character: str) -> StoredFace | None:
        """The largest face of `character` in a frame (the one its dataset image shows)."""
        faces = self.stored_faces(
            (FaceRow.movie == movie_id) & (FaceRow.frame == frame) & (Character.name == character)
        )
        return min(faces, key=lambda f: f.number, default=None)

    def record_correction(self, correction: CorrectionRecord) -> None:
        """A user's correction: the face relabelled (confirmed), the image row moved or gone."""
        face = correction.face
        with database.atomic("IMMEDIATE"):
            if correction.to_character is not None:
                self.save_character_if_new(correction.to_character)
            if face is not None:
                self.relabel_faces(
                    [Relabel(face.id, face.movie_id, face.frame, face.number,
                             correction.to_character, 0.0 if correction.to_character else None,
                             None)]
                )  # fmt: skip
                FaceRow.update(confirmed=True).where(FaceRow.id == face.id).execute()
            if correction.file_after is None:
                DatasetImageRow.delete_by_id(correction.image_id)
            else:
                DatasetImageRow.update(
                    file=correction.file_after,
                    character=self._character_ids()[correction.to_character or ""],
                ).where(DatasetImageRow.id == correction.image_id).execute()
            Correction.create(
                face=face.id if face else None,
                movie=correction.movie_id,
                frame=correction.frame,
                kind=correction.kind.value,
                file_before=correction.file_before,
                file_after=correction.file_after,
                from_character=correction.from_character,
                to_character=correction.to_character,
            )

    def save_character_if_new(self, name: str) -> None:
        if Character.get_or_none(Character.name == name) is None:
            self.save_character(name, default_trigger_word(name), DEFAULT_CLASS_WORD)

    def corrections(self) -> list[CorrectionLogEntry]:
        return [
            CorrectionLogEntry(
                at=r.at,
                kind=CorrectionKind(r.kind),
                frame=r.frame,
                from_character=r.from_character,
                to_character=r.to_character,
                file_before=r.file_before,
                file_after=r.file_after,
                face_id=r.face_id,  # type: ignore[attr-defined]
            )
            for r in Correction.select().order_by(Correction.id)
        ]

    def correction_triplets(self) -> list[dict[str, object]]:
        """(anchor, positive, negative) for metric learning: the corrected face, a reference
        of the character it is, a reference of the one it was taken for. A deletion says only
        what a face is not, so it gives a triplet only with a positive from a later move."""
        names, encodings = self.reference_encodings()
        examples: dict[str, list[tuple[float, ...]]] = {}
        for name, encoding in zip(names, encodings, strict=True):
            examples.setdefault(name, []).append(encoding)
        faces = {f.id: f for f in self.stored_faces()}
        for known in faces.values():  # confirmed faces are examples too, after the references
            if known.confirmed and known.character is not None:
                examples.setdefault(known.character, []).append(known.encoding)
        triplets: list[dict[str, object]] = []
        for entry in self.corrections():
            face = faces.get(entry.face_id) if entry.face_id is not None else None
            anchor = face.encoding if face else ()
            positive = next(
                (e for e in examples.get(entry.to_character or "", []) if e != anchor), None
            )
            negative = next(iter(examples.get(entry.from_character, [])), None)
            if face is None or positive is None or negative is None:
                continue
            triplets.append(
                {
                    "anchor": list(face.encoding),
                    "positive": list(positive),
                    "negative": list(negative),
                    "character": entry.to_character,
                    "not": entry.from_character,
                    "frame": entry.frame,
                }
            )
        return triplets

    def confirmed_face_encodings(self) -> tuple[list[str], list[tuple[float, ...]]]:
        """Faces the user confirmed as a character: they count as its references."""
        faces = self.stored_faces(FaceRow.confirmed & FaceRow.character.is_null(False))
        return [f.character or "" for f in faces], [f.encoding for f in faces]

    def movie_key(self, movie_id: int) -> str:
        return self.movie(movie_id).key

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

    def fail_stage(self, movie_id: int, stage: str, seconds: float, error: str) -> None:
        self._end_stage(movie_id, stage, StageStatus.FAILED, seconds=seconds, error=error)

    def abandon_stage(self, movie_id: int, stage: str) -> None:
        """The daemon stopped mid-stage: it runs again from its start next time."""
        with database.atomic():
            StageRun.update(status=StageStatus.PENDING.value).where(
                StageRun.movie == movie_id, StageRun.stage == stage
            ).execute()
            self._update_movie(movie_id, state=MovieState.QUEUED.value)

    def _end_stage(self, movie_id: int, stage: str, status: StageStatus, **fields: object) -> None:
        StageRun.update(status=status.value, finished_at=utcnow(), **fields).where(
            StageRun.movie == movie_id, StageRun.stage == stage
        ).execute()

    # --- daemon heartbeat --------------------------------------------------------------
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
