"""A small library for the review page's read models, written through the repository as the
stages write it: a finished movie with shots, judged frames (their files on disk), faces
named and unknown, scenes, a dataset with captions; a failed movie; one mid-stage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from daemon.repository import MovieRecord, Repository
from handlers.caption_records import NewCaption
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.letterbox import CropBox
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.scenes import Scene, SceneFrame, ScenesReport
from handlers.sharpness_spread import SharpnessSpread
from handlers.shots import Shot, ShotKind, ShotList

AMELIE = "Amélie <b>Poulain</b>"
NINO = "Nino"
STAGES = ("probe", "shots", "frames", "quality", "faces", "scenes", "dataset", "captions")
KEPT = ("00-00-01.000", "00-00-02.000", "00-00-05.000", "00-00-06.000")
REJECTED = {"00-00-03.000": Verdict.BLURRED, "00-00-04.000": Verdict.DUPLICATE}
LONG_ERROR = "captions: the provider said no " * 200


@dataclass(frozen=True)
class PageLibrary:
    library: Path
    done: MovieRecord  # every stage run
    failed: MovieRecord
    running: MovieRecord  # at `faces`, half-way


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def encoding(seed: int) -> tuple[float, ...]:
    return tuple(np.random.default_rng(seed).normal(0, 0.09, 128).round(6))


def build_library(repo: Repository, library: Path) -> PageLibrary:
    for number, character in enumerate((AMELIE, NINO)):
        record = repo.save_character(character, f"trigger{number}", "person")
        for r in range(number + 1):
            file = f"characters/{character}/reference/r{r}.png"
            repo.add_reference(record.id, sha(file), file, FaceBox(1, 9, 9, 1), encoding(r))
    done = _done_movie(repo, library)
    failed = repo.add_movie(sha("failed"), "failed.mkv", library / "failed.mkv", 10)
    repo.start_stage(failed.id, "probe")
    repo.finish_stage(failed.id, "probe", 2.0, _shots())  # any result: the timeline only
    repo.start_stage(failed.id, "shots")
    repo.fail_stage(failed.id, "shots", 1.0, "decoder crashed")
    repo.start_stage(failed.id, "shots")
    repo.fail_stage(failed.id, "shots", 3.0, LONG_ERROR)
    repo.mark_failed(failed.id, LONG_ERROR, attempts=4)
    running = repo.add_movie(sha("running"), "running.mkv", library / "running.mkv", 10)
    repo.claim_next(running.created_at)
    repo.start_stage(running.id, "faces")
    repo.set_progress(running.id, "faces", 0.5)
    return PageLibrary(library, repo.movie(done.id), repo.movie(failed.id), repo.movie(running.id))


def _done_movie(repo: Repository, library: Path) -> MovieRecord:
    movie = repo.add_movie(sha("done"), "Le Fabuleux Destin.mkv", library / "done.mkv", 1234)
    frames_dir = library / "movies" / movie.key / "frames"
    frames_dir.mkdir(parents=True)
    for name in KEPT:
        Image.new("RGB", (64, 36), (40, 40, 40)).save(frames_dir / f"{name}.jpg")
    stage_seconds = {"scenes": 30.0, "dataset": 20.0, "captions": 50.0}
    for stage, result in _results(movie).items():
        repo.start_stage(movie.id, stage)
        repo.finish_stage(movie.id, stage, stage_seconds.get(stage, 1.0), result)
    for image in _dataset(movie).images:
        text = f"{image.frame}, a person"
        caption = NewCaption(image.file, movie.key, image.character, "bedrock", text, "0" * 16)
        repo.save_caption(caption)
    # A newer caption from another provider replaces the first one's (it goes stale).
    first = _dataset(movie).images[0]
    newer = NewCaption(first.file, movie.key, AMELIE, "template", "x" * 3000, "1" * 16)
    repo.save_caption(newer)
    repo.mark_done(movie.id)
    return movie


def _results(movie: MovieRecord) -> dict[str, object]:
    return {
        "probe": _shots(),
        "shots": _shots(),
        "quality": _quality(),
        "faces": _faces(),
        "scenes": _scenes(),
        "dataset": _dataset(movie),
        "captions": _shots(),
    }


def _shots() -> ShotList:
    shots = (
        Shot(0, 0.0, 3.5, 0, 84, ShotKind.STATIC, 0.1),
        Shot(1, 3.5, 7.0, 84, 168, ShotKind.MOVING, 2.5),
    )
    return ShotList(shots, 168, 0, "shots", CropBox(0, 0, 64, 36), SharpnessSpread(8, 1, 2, 3), ())


def _quality() -> QualityReport:
    names = sorted((*KEPT, *REJECTED))
    frames = tuple(_judged(name, REJECTED.get(name, Verdict.KEPT)) for name in names)
    return QualityReport(frames, len(KEPT), len(REJECTED))


def seconds_of(name: str) -> float:
    return float(name.split("-")[2])


def shot_of(name: str) -> int:
    return 0 if seconds_of(name) < 3.5 else 1


def _judged(name: str, verdict: Verdict) -> JudgedFrame:
    seconds = seconds_of(name)
    kept = verdict is Verdict.KEPT
    return JudgedFrame(
        name, seconds, shot_of(name), "middle", f"frames/{name}.jpg" if kept else None,
        100.0 + seconds, 1.0, 0.5, 0.1, f"{int(seconds):016x}", verdict,
        None if kept else f"{verdict.value}: under the movie's median sharpness", None,
    )  # fmt: skip


def _faces() -> FacesReport:
    faces = (
        FoundFace(KEPT[0], 0, FaceBox(5, 30, 30, 5), AMELIE, 0.3, 0.7, encoding(1)),
        FoundFace(KEPT[0], 1, FaceBox(5, 60, 20, 45), None, None, None, encoding(2)),
        FoundFace(KEPT[1], 0, FaceBox(4, 28, 28, 4), AMELIE, 0.35, 0.8, encoding(3)),
        FoundFace(KEPT[3], 0, FaceBox(4, 28, 28, 4), NINO, 0.2, 0.9, encoding(4)),
    )
    return FacesReport(faces, len(KEPT), 3, 0, ())


def _scenes() -> ScenesReport:
    scenes = (Scene(1, 0, 0, 0.0, 3.5, 1, 2), Scene(2, 1, 1, 3.5, 7.0, 1, 2))
    frames = tuple(SceneFrame(name, shot_of(name), shot_of(name) + 1) for name in KEPT)
    return ScenesReport("descriptor:test", 4, 0.8, scenes, frames)


def _dataset(movie: MovieRecord) -> DatasetReport:
    named = [(KEPT[0], AMELIE), (KEPT[1], AMELIE), (KEPT[3], NINO)]
    images = tuple(
        DatasetImage(character, frame, f"characters/{character}/dataset/{movie.key}_{frame}.jpg",
                     CropBox(0, 0, 32, 32), 32, 32)
        for frame, character in named
    )  # fmt: skip
    return DatasetReport(images, 0, 0)
