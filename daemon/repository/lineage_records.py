"""The records `bunny lineage` reads of one dataset image: its row, and the rows of the frame,
shot, scene, face, caption and corrections it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.repository.records import CorrectionLogEntry
from daemon.training.image_sources import FrozenSource
from handlers.caption_records import StoredCaption
from handlers.face_matching import FaceBox
from handlers.letterbox import CropBox
from handlers.quality import Verdict
from handlers.shots import ShotKind


@dataclass(frozen=True)
class LineageImage:
    id: int
    file: str  # relative to the library
    character: str
    movie_key: str
    frame: str  # the frame's name (its timestamp)
    crop: CropBox  # the dataset image's box in the frame, before scaling
    created_at: datetime
    source: FrozenSource  # its movie and frame (or inbox image), as dataset.json records it


@dataclass(frozen=True)
class MovieSource:
    """The movie a frame came from, and the frame's time in it."""

    name: str
    key: str
    sha256: str
    path: str
    seconds: float | None  # None: the frame's row is gone (the movie's frames were redone)


@dataclass(frozen=True)
class LineageFrame:
    name: str
    seconds: float
    role: str
    verdict: Verdict
    reason: str | None
    sharpness: float
    relative_sharpness: float  # against the movie's median sharpness
    brightness: float
    flat_fraction: float
    phash: str  # 16 hex digits
    duplicate_of: str | None  # "<movie>/<timestamp>" of the frame this one repeats


@dataclass(frozen=True)
class LineageShot:
    number: int
    start_seconds: float
    end_seconds: float
    kind: ShotKind
    mean_motion: float


@dataclass(frozen=True)
class LineageScene:
    number: int
    embedder: str  # the model that made the frame's embedding


@dataclass(frozen=True)
class LineageFace:
    number: int  # 0 for the largest face of the frame
    box: FaceBox  # in the frame
    character: str | None
    distance: float | None  # to the nearest reference of its character
    runner_up: float | None  # to the nearest reference of any other character
    confirmed: bool  # named by the user: matching never changes it
    turned_away: bool  # named only within the doubtful tolerance


@dataclass(frozen=True)
class ImageRows:
    image: LineageImage
    frame: LineageFrame | None
    shot: LineageShot | None
    scene: LineageScene | None
    face: LineageFace | None
    caption: StoredCaption | None
    corrections: tuple[CorrectionLogEntry, ...]  # oldest first
