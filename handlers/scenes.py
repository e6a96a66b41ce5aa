"""`scenes`: an image embedding for every kept frame, and the movie's shots grouped into scenes.

A scene is a run of consecutive shots in one place. Each shot is the mean of its frames'
vectors. A shot joins the scene of an earlier shot when it looks like one of the
`scenes.look_back_shots` shots before it (cosine similarity at least the threshold of the
embedder in use), and so do the shots between them: a conversation cut as shot / reverse
shot (A B A B) stays one scene, while a place left for more than `look_back_shots` shots
starts a new one when the film comes back. Shots with no kept frame are not counted.

The embedder (CLIP, or the built-in descriptor when no model can be loaded) is shared by
every movie for the life of the daemon; its name goes with the result, so vectors of two
embedders are never mixed. Vectors are kept out of movie.json (`{"json": False}`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import cv2
import numpy as np

from daemon.config import ScenesConfig
from handlers.base import MovieJob
from handlers.embedders import RGB, SharedEmbedder, Vectors, threshold_for
from handlers.frame_files import read_frame
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.shots import ShotList


@dataclass(frozen=True)
class SceneFrame:
    frame: str  # the kept frame's name (its timestamp)
    shot: int
    scene: int  # Scene.number
    # Kept in the database only: hundreds of numbers per frame would bury movie.json.
    vector: tuple[float, ...] = field(default=(), repr=False, metadata={"json": False})


@dataclass(frozen=True)
class Scene:
    number: int  # 1, 2, ... in movie order
    first_shot: int
    last_shot: int
    start_seconds: float
    end_seconds: float
    shots: int  # shots with kept frames
    frames: int  # kept frames


@dataclass(frozen=True)
class ScenesReport:
    embedder: str  # which model made the vectors: "clip:<model>" or "descriptor:<name>"
    dimensions: int
    threshold: float  # the similarity a shot needed to join a scene
    scenes: tuple[Scene, ...]
    frames: tuple[SceneFrame, ...]  # every kept frame, in movie order

    def scene_of(self) -> dict[str, int]:
        """Frame name -> scene number."""
        return {frame.frame: frame.scene for frame in self.frames}


class ScenesHandler:
    name: ClassVar[str] = "scenes"
    result_type: ClassVar[type] = ScenesReport

    def __init__(
        self, config: ScenesConfig | None = None, embedder: SharedEmbedder | None = None
    ) -> None:
        self.config = config or ScenesConfig()
        # Shared by every movie for the life of the daemon, loaded at its first use.
        self.embedder = embedder or SharedEmbedder()

    def run(self, job: MovieJob) -> ScenesReport:
        kept = [f for f in job.result(QualityReport).frames if f.verdict is Verdict.KEPT]
        kept.sort(key=lambda f: f.seconds)
        embedder = self.embedder.get(self.config, job.context.log)
        vectors = self._embed_all(job, kept, embedder.embed)
        threshold = threshold_for(embedder, self.config)
        scene_of_shot = _scene_of_shot(kept, vectors, threshold, self.config.look_back_shots)
        frames = tuple(
            SceneFrame(frame.name, frame.shot, scene_of_shot[frame.shot], tuple(vector.tolist()))
            for frame, vector in zip(kept, vectors, strict=True)
        )
        job.context.progress(1.0)
        return ScenesReport(
            embedder=embedder.name,
            dimensions=embedder.dimensions,
            threshold=threshold,
            scenes=_scenes(kept, scene_of_shot, job.find(ShotList)),
            frames=frames,
        )

    def _embed_all(
        self, job: MovieJob, kept: list[JudgedFrame], embed: Callable[[Sequence[RGB]], Vectors]
    ) -> Vectors:
        batches = []
        size = self.config.batch_size
        for start in range(0, len(kept), size):
            job.context.check_cancelled()
            pictures = [_rgb(job, frame) for frame in kept[start : start + size]]
            batches.append(embed(pictures))
            job.context.progress(0.98 * min(len(kept), start + size) / len(kept))
        if not batches:
            return np.zeros((0, 0), np.float32)
        return np.concatenate(batches)


def _rgb(job: MovieJob, frame: JudgedFrame) -> RGB:
    assert frame.file is not None  # every kept frame has its file
    picture = read_frame(job.movie_dir / frame.file)
    return np.asarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def _scene_of_shot(
    kept: list[JudgedFrame], vectors: Vectors, threshold: float, look_back: int
) -> dict[int, int]:
    shots = sorted({frame.shot for frame in kept})
    means = _shot_means(vectors, [frame.shot for frame in kept], shots)
    return dict(zip(shots, group_shots(means, threshold, look_back), strict=True))


def _shot_means(vectors: Vectors, frame_shots: list[int], shots: list[int]) -> Vectors:
    """One unit vector per shot: the mean of its frames' vectors."""
    if not shots:
        return np.zeros((0, 0), np.float32)
    row_of = {shot: row for row, shot in enumerate(shots)}
    means = np.zeros((len(shots), vectors.shape[1]), np.float32)
    for vector, shot in zip(vectors, frame_shots, strict=True):
        means[row_of[shot]] += vector
    lengths = np.linalg.norm(means, axis=1, keepdims=True)
    return np.asarray(means / np.where(lengths > 0, lengths, 1.0), dtype=np.float32)


def group_shots(shot_vectors: Vectors, threshold: float, look_back: int) -> list[int]:
    """Scene numbers (from 1) for consecutive shots, given their unit vectors.

    A shot linked to one of the `look_back` shots before it (similarity >= threshold) is in
    the same scene as that shot, and so is every shot between the two.
    """
    count = len(shot_vectors)
    continues = [False] * count  # shot i is in the scene of shot i - 1
    for shot in range(1, count):
        earlier = range(max(0, shot - look_back), shot)
        similar = [e for e in earlier if float(shot_vectors[e] @ shot_vectors[shot]) >= threshold]
        if similar:
            for between in range(similar[0] + 1, shot + 1):
                continues[between] = True
    numbers, scene = [], 0
    for joins in continues:
        scene += 0 if joins else 1
        numbers.append(scene)
    return numbers


def _scenes(
    kept: list[JudgedFrame], scene_of_shot: dict[int, int], shot_list: ShotList | None
) -> tuple[Scene, ...]:
    spans = (
        {s.index: (s.start_seconds, s.end_seconds) for s in shot_list.shots} if shot_list else {}
    )
    frames_in: dict[int, list[JudgedFrame]] = defaultdict(list)
    for frame in kept:  # in movie order
        frames_in[scene_of_shot[frame.shot]].append(frame)
    scenes = []
    for number, frames in sorted(frames_in.items()):
        shots = sorted({frame.shot for frame in frames})
        start = spans.get(shots[0], (frames[0].seconds, 0.0))[0]
        end = spans.get(shots[-1], (0.0, frames[-1].seconds))[1]
        scenes.append(Scene(number, shots[0], shots[-1], start, end, len(shots), len(frames)))
    return tuple(scenes)
