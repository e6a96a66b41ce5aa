"""The slideshow through a real daemon: references first, then the movie, read back from disk.

The daemon's defaults but for the stages (probe to dataset: scenes and captions do not decide
who is found). First `bunny run --once`: each person's reference photo dropped into
inbox/faces/<name>/, taken by the daemon's own reference intake. Second: the slideshow
dropped into inbox/movies/. What the daemon made is read from its movie.json, as a user would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from daemon.config import FacesConfig
from evaluation.daemon_once import (
    MovieSummary,
    drop_movie,
    drop_references,
    only_movie,
    rejected_files,
    run_once,
    write_config,
)
from evaluation.identity_count import FrameFace, PathOutcome
from evaluation.identity_photos import LabelledPhoto
from handlers.dataset import DatasetReport
from handlers.face_matching import detect_faces
from handlers.image_measures import rgb_of_file
from handlers.quality import QualityReport, Verdict
from handlers.result_codec import decode

STAGES = ("probe", "shots", "frames", "quality", "faces", "dataset")


@dataclass(frozen=True)
class DaemonRun:
    outcome: PathOutcome
    rejected_references: tuple[str, ...]  # "<file>: <reason>"
    stage_seconds: tuple[tuple[str, float], ...]


def run_daemon(
    root: Path, media: Path, references: Sequence[LabelledPhoto], movie: Path
) -> DaemonRun:
    write_config(root, STAGES)
    drop_references(root, [(photo.people[0], media / photo.path) for photo in references])
    run_once(root)
    rejected = rejected_files(root)
    drop_movie(root, movie)
    run_once(root)
    summary = only_movie(root)
    return DaemonRun(read_outcome(summary), rejected, summary.stage_seconds())


def read_outcome(summary: MovieSummary) -> PathOutcome:
    unfinished = summary.unfinished(STAGES)
    if unfinished:
        raise RuntimeError(f"stages not done: {unfinished}")
    stages = summary.document["stages"]
    quality = decode(QualityReport, stages["quality"]["result"])
    dataset = decode(DatasetReport, stages["dataset"]["result"])
    faces = tuple(
        FrameFace(frame, face["character"], face["box"][2] - face["box"][0], face["distance"])
        for frame, listed in summary.document["faces"].items()
        for face in listed
    )
    kept = [f for f in quality.frames if f.verdict is Verdict.KEPT and f.file is not None]
    small = {frame.name: _small_face(summary.folder / str(frame.file)) for frame in kept}
    return PathOutcome(quality.frames, faces, dataset.images, small)


def _small_face(path: Path) -> int | None:
    """The tallest face under the stage's minimum in a kept frame, found the stage's way."""
    stage = FacesConfig()
    rgb = np.asarray(rgb_of_file(str(path)))
    heights = [face.box.height for face in detect_faces(rgb, detector=stage.detector)]
    minimum = stage.min_face_pixels
    return max((h for h in heights if h < minimum), default=None)
