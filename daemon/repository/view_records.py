"""The records the review page's reads give: a frame, its faces, a shot, a dataset image."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.caption_records import StoredCaption
from handlers.face_matching import FaceBox
from handlers.quality import Verdict
from handlers.shots import ShotKind


@dataclass(frozen=True)
class FrameCounts:
    kept: int
    rejected: int


@dataclass(frozen=True)
class StageClock:
    """When a movie's running stage started (its time left is reckoned from it)."""

    stage: str
    started_at: datetime | None


@dataclass(frozen=True)
class FrameView:
    name: str  # its timestamp, as in frames/<name>.jpg
    seconds: float
    shot: int
    role: str
    verdict: Verdict
    reason: str | None
    file: str | None  # relative to the library; kept frames only
    sharpness: float
    relative_sharpness: float
    brightness: float
    flat_fraction: float
    duplicate_of: str | None  # "<movie>/<timestamp>" of the frame this one repeats


@dataclass(frozen=True)
class FaceInFrame:
    frame: str
    number: int  # 0 for the largest
    box: FaceBox
    character: str | None  # None: unknown
    cluster: str | None  # an unknown face's cluster, if it is in one
    confirmed: bool  # named by the user
    distance: float | None


@dataclass(frozen=True)
class ShotView:
    number: int
    start_seconds: float
    end_seconds: float
    kind: ShotKind
    mean_motion: float
    kept_frames: int


@dataclass(frozen=True)
class ReferenceView:
    file: str  # relative to the library
    box: FaceBox
    added_at: datetime


@dataclass(frozen=True)
class DatasetEntry:
    id: int
    file: str  # relative to the library
    movie_key: str
    movie_name: str
    frame: str
    seconds: float | None  # None: its frame's row is gone (the movie's frames were redone)
    width: int
    height: int
    created_at: datetime
    caption: StoredCaption | None
