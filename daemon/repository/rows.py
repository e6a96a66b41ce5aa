"""Peewee rows to records and back: the conversions every part of the repository shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import peewee as pw

from daemon.repository.records import (
    MOVIE_KEY_LENGTH,
    MovieRecord,
    StageRunRecord,
)
from daemon.store import (
    Character,
    DatasetImageRow,
    FaceRow,
    FrameRow,
    FrameSceneRow,
    Movie,
    MovieState,
    ShotRow,
    SourceKind,
    StageRun,
    StageStatus,
)
from handlers.caption_records import CharacterRecord
from handlers.face_matching import FaceBox

MASK64 = (1 << 64) - 1


def replace_rows(
    model: type[ShotRow | FrameRow | FaceRow | DatasetImageRow | FrameSceneRow],
    movie_id: int,
    rows: Sequence[Mapping[str, object]],
) -> None:
    """A stage's rows for one movie, replacing those of any earlier run of it."""
    model.delete().where(model.movie == movie_id).execute()
    for batch in pw.chunked(rows, 100):  # SQLite caps the variables in one statement
        model.insert_many(batch).execute()


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def box_columns(box: FaceBox) -> dict[str, int]:
    return {"top": box.top, "right": box.right, "bottom": box.bottom, "left": box.left}


def box_of(row: FaceRow) -> FaceBox:
    return FaceBox(row.top, row.right, row.bottom, row.left)


def encoding_blob(encoding: tuple[float, ...]) -> bytes:
    return np.asarray(encoding, dtype="<f8").tobytes()


def encoding_of(blob: bytes) -> tuple[float, ...]:
    return tuple(float(x) for x in np.frombuffer(blob, dtype="<f8"))


def grouped_counts(query: object) -> dict[int, int]:
    """A grouped (id, count) query as a dict."""
    return {int(key): int(count) for key, count in cast(Iterable[tuple[int, int]], query)}


def name_of(character: Character | None) -> str | None:
    return character.name if character is not None else None


def character_record(row: Character) -> CharacterRecord:
    return CharacterRecord(row.id, row.name, row.trigger_word, row.class_word)


def movie_record(row: Movie) -> MovieRecord:
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
        kind=SourceKind(row.kind),
    )


def stage_run_record(row: StageRun) -> StageRunRecord:
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
