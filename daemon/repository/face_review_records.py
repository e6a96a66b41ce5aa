"""The records of the unknown faces page: a face as a tile, and a face's review columns before
and after a change made there (what undoing it puts back)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from daemon.store import FaceReviewState, ReviewAction
from handlers.face_matching import FaceBox


class NoiseReason(enum.StrEnum):
    """Why a face is in the noise bucket; the bucket lists them in this order."""

    UNSURE = "unsure"  # matched, but the next character is nearly as near (noise_margin)
    TAKEN_OUT = "taken_out"  # taken out of its cluster by hand
    LOOSE = "loose"  # unknown, and in no group large enough to be a cluster


@dataclass(frozen=True)
class FaceTile:
    """A face as a grid shows it: where its crop comes from, and what is known of it."""

    id: int
    movie_key: str
    frame: str  # the kept frame's name (its timestamp)
    number: int
    box: FaceBox
    character: str | None
    distance: float | None  # to the best character's nearest reference
    runner_up: float | None  # to the next character's
    cluster: str | None

    @property
    def margin(self) -> float | None:
        """How much nearer the best character is than the next one (None: nothing to compare)."""
        if self.distance is None or self.runner_up is None:
            return None
        return self.runner_up - self.distance


@dataclass(frozen=True)
class FaceState:
    """A face's columns that the unknown faces page changes, as they were or become."""

    face_id: int
    movie_id: int
    frame: str
    number: int
    character: str | None
    distance: float | None
    runner_up: float | None
    cluster: str | None
    confirmed: bool
    review: FaceReviewState | None


@dataclass(frozen=True)
class FolderMove:
    """A cluster folder moved aside (an ignored cluster), relative to the library."""

    source: str
    target: str


@dataclass(frozen=True)
class ReviewChange:
    """One change made on the page: every face it touched, before and after."""

    action: ReviewAction
    target: str  # the character, the cluster, or "noise"
    before: tuple[FaceState, ...]
    after: tuple[FaceState, ...]
    folder: FolderMove | None = None


@dataclass(frozen=True)
class ReviewRecord:
    """A change as recorded: what undoing it reads."""

    id: int
    change: ReviewChange
    at: datetime
    undone_at: datetime | None
