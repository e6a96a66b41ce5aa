"""The typed records the repository takes and gives; callers never see peewee rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.store import (
    CorrectionKind,
    InboxFileStatus,
    MovieState,
    SourceKind,
    StageStatus,
)
from handlers.face_matching import FaceBox

MOVIE_KEY_LENGTH = 12


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
    turned_away: bool = False


@dataclass(frozen=True)
class CharacterSummary:
    name: str
    trigger_word: str
    class_word: str
    references: int
    frames: int


@dataclass(frozen=True)
class UnknownCluster:
    cluster: str  # its folder's name under library/unknown/, what `bunny name` takes
    faces: int


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
    undone: bool = False  # undone on the review page: no triplet


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
    kind: SourceKind = SourceKind.MOVIE


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
