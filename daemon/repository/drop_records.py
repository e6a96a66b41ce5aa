"""The records of a drop on the review page: what each image was before, where it went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.store import DropState
from handlers.letterbox import CropBox


@dataclass(frozen=True)
class FaceLabel:
    """A face's label as matching or the user left it: what an undo puts back."""

    face_id: int
    character: str | None
    distance: float | None
    runner_up: float | None
    cluster: str | None
    confirmed: bool


@dataclass(frozen=True)
class DroppedImage:
    """A dataset image as it was before the drop: its row, and its face's label."""

    image_id: int
    movie_id: int
    frame: str
    character: str
    file: str  # relative to the library
    crop: CropBox
    created_at: datetime
    face: FaceLabel | None


@dataclass(frozen=True)
class DropMove:
    image: DroppedImage
    file_after: str | None  # None: taken out of the dataset ("not this person")
    kept_file: str | None  # where such an image waits, for an undo


@dataclass(frozen=True)
class DropPlan:
    target: str
    moves: tuple[DropMove, ...]


@dataclass(frozen=True)
class DropRecord:
    id: int
    target: str
    state: DropState
    moves: tuple[DropMove, ...]
    created_at: datetime


@dataclass(frozen=True)
class TargetCount:
    """A character as a drop target: its name and its dataset's size."""

    name: str
    images: int
