"""One movie's frames and shots for the review page, a page at a time: the kept frames as a
contact sheet (each with its scene and its faces, boxed and named), the rejected ones with
their reason (behind a toggle), and the shots with their kept frames."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

from daemon.display_text import REASON_LIMIT, bounded
from daemon.reports.paging import Page, PageRequest
from daemon.repository import FaceInFrame, FrameView, MovieRecord, Repository, ShotView


@dataclass(frozen=True)
class KeptFrame:
    frame: FrameView  # its file is relative to the library
    scene: int | None  # None until the scenes stage has run
    faces: tuple[FaceInFrame, ...]  # largest first; character None: unknown (see cluster)


def kept_frames(repo: Repository, movie: MovieRecord, request: PageRequest) -> Page[KeptFrame]:
    """Kept frames in movie order."""
    frames = repo.frames_page(movie.id, True, request.offset, request.per_page)
    names = [frame.name for frame in frames]
    faces: dict[str, list[FaceInFrame]] = defaultdict(list)
    for face in repo.faces_in_frames(movie.id, names):
        faces[face.frame].append(face)
    scenes = repo.scenes_of_frames(movie.id, names)
    items = [KeptFrame(f, scenes.get(f.name), tuple(faces[f.name])) for f in frames]
    return Page.of(items, request, repo.frame_count(movie.id, kept=True))


def rejected_frames(repo: Repository, movie: MovieRecord, request: PageRequest) -> Page[FrameView]:
    """Rejected frames in movie order, each with its verdict and reason (bounded). They have
    no file: only kept frames are written to the library."""
    frames = repo.frames_page(movie.id, False, request.offset, request.per_page)
    items = [
        dataclasses.replace(f, reason=bounded(f.reason, REASON_LIMIT) if f.reason else None)
        for f in frames
    ]
    return Page.of(items, request, repo.frame_count(movie.id, kept=False))


def movie_shots(repo: Repository, movie: MovieRecord, request: PageRequest) -> Page[ShotView]:
    shots = repo.shots_page(movie.id, request.offset, request.per_page)
    return Page.of(shots, request, repo.shot_count(movie.id))
