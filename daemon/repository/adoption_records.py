"""The records of an adoption in progress: what it is to write, and where it files crops."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.repository.records import StoredFace
from handlers.face_matching import FaceBox


@dataclass(frozen=True)
class PlannedReference:
    """A reference crop, its bytes made before the adoption begins."""

    file: str  # relative to the library
    sha256: str
    box: FaceBox
    encoding: tuple[float, ...]
    data: bytes


@dataclass(frozen=True)
class CropFiling:
    """A cluster folder moved into characters/: its crops go to `target` once adopted."""

    folder: str  # relative to the library
    target: str
    crops: tuple[str, ...]


@dataclass(frozen=True)
class AdoptionPlan:
    cluster: str
    character: str
    faces: tuple[StoredFace, ...]
    references: tuple[PlannedReference, ...]
    later: tuple[str, ...]  # the stages that run again for the faces' movies
    filing: CropFiling | None = None


@dataclass(frozen=True)
class OpenAdoption:
    """An adoption begun and not yet finished: its faces are named, the rest is to do."""

    id: int
    cluster: str
    character: str
    faces: int
    references: tuple[PlannedReference, ...]
    filing: CropFiling | None


@dataclass(frozen=True)
class FinishedAdoption:
    character: str
    faces: int
