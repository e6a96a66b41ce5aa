"""`faces`: who is in each kept frame: faces found, encoded, and matched to the characters.

Detection and matching live in face_matching; this stage runs them over the movie's kept
frames against the references of the moment (a `ReferenceBook`, swapped whole when a user
adds a reference, so a running stage always sees one consistent set).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from daemon.config import FacesConfig
from handlers.base import MovieJob
from handlers.face_matching import DetectedFace, FaceBox, ReferenceSet
from handlers.face_search import FrameSearch
from handlers.face_workers import FaceWorkers
from handlers.quality import JudgedFrame, QualityReport, Verdict


class ReferenceBook:
    """The current reference set, shared by the worker threads and replaced whole."""

    def __init__(self, references: ReferenceSet | None = None) -> None:
        self._lock = threading.Lock()
        self._current = references or ReferenceSet([], np.empty((0, 128)))
        self._generation = 0

    @property
    def generation(self) -> int:
        """Counts replacements: a stage that saw another generation matched stale references."""
        with self._lock:
            return self._generation

    def current(self) -> ReferenceSet:
        with self._lock:
            return self._current

    def replace(self, references: ReferenceSet) -> None:
        with self._lock:
            self._current = references
            self._generation += 1


@dataclass(frozen=True)
class FoundFace:
    frame: str  # the kept frame's name (its timestamp)
    number: int  # 0 for the largest face in the frame
    box: FaceBox
    character: str | None  # None: matches nobody yet
    distance: float | None  # to the nearest reference of the best character
    runner_up: float | None  # to the nearest reference of the next character
    # Kept in the database only: 128 numbers per face would bury movie.json.
    encoding: tuple[float, ...] = field(default=(), repr=False, metadata={"json": False})
    turned_away: bool = False  # seen from the side: named only within faces.doubtful_tolerance


@dataclass(frozen=True)
class CharacterFrames:
    character: str
    frames: int


@dataclass(frozen=True)
class FacesReport:
    faces: tuple[FoundFace, ...]
    frames_searched: int
    frames_with_faces: int
    too_small: int  # faces left out for being under faces.min_face_pixels tall
    characters: tuple[CharacterFrames, ...]  # frames per character, most first, then by name


class FacesHandler:
    name: ClassVar[str] = "faces"
    result_type: ClassVar[type] = FacesReport

    def __init__(
        self,
        config: FacesConfig | None = None,
        book: ReferenceBook | None = None,
        workers: FaceWorkers | None = None,
    ) -> None:
        self.config = config or FacesConfig()
        self.book = book or ReferenceBook()
        self.workers = workers or FaceWorkers()  # the daemon's pool; else in this process

    def run(self, job: MovieJob) -> FacesReport:
        kept = [f for f in job.result(QualityReport).frames if f.verdict is Verdict.KEPT]
        references = self.book.current()
        found: list[FoundFace] = []
        too_small = 0
        searches = [self._search(job, frame) for frame in kept]
        results = self.workers.search(searches, job.context.check_cancelled)
        with closing(results):  # a stop drops the frames handed out and not started
            for number, (frame, faces) in enumerate(zip(kept, results, strict=True)):
                job.context.check_cancelled()
                large = [f for f in faces if f.box.height >= self.config.min_face_pixels]
                too_small += len(faces) - len(large)
                found.extend(_found(frame.name, large, references, self.config))
                job.context.progress((number + 1) / len(kept))
        return FacesReport(
            faces=tuple(found),
            frames_searched=len(kept),
            frames_with_faces=len({f.frame for f in found}),
            too_small=too_small,
            characters=_per_character(found),
        )

    def _search(self, job: MovieJob, frame: JudgedFrame) -> FrameSearch:
        assert frame.file is not None  # every kept frame has its file
        return FrameSearch(job.movie_dir / frame.file, self.config.detector)


def _found(
    frame: str, faces: list[DetectedFace], references: ReferenceSet, config: FacesConfig
) -> list[FoundFace]:
    faces = sorted(faces, key=lambda f: f.box.area, reverse=True)
    matches = references.match_faces(faces, config.doubtful_face_pixels)
    return [
        FoundFace(
            frame=frame,
            number=number,
            box=face.box,
            character=match.character,
            distance=finite_distance(match.distance),
            runner_up=finite_distance(match.runner_up),
            turned_away=face.turned_away,
            encoding=face.encoding,
        )
        for number, (face, match) in enumerate(zip(faces, matches, strict=True))
    ]


def finite_distance(value: float) -> float | None:
    """A distance for JSON: None where there was nothing to compare with."""
    return None if math.isinf(value) else round(value, 4)


def _per_character(found: list[FoundFace]) -> tuple[CharacterFrames, ...]:
    """How many frames show each character (a frame counts once however many faces match)."""
    pairs = {(f.character, f.frame) for f in found if f.character is not None}
    per = Counter(character for character, _ in pairs if character is not None)
    ranked = sorted(per.items(), key=lambda item: (-item[1], item[0]))
    return tuple(CharacterFrames(name, count) for name, count in ranked)
