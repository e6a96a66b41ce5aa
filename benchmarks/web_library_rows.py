"""A library database at the review page's scale, written through the repository as the
daemon writes it (stage results with their rows, captions, training runs), with small
model folders (samples, losses.csv) but no frame or dataset image files: rows are what the
page's queries cost."""

from __future__ import annotations

import hashlib
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from daemon.repository import Relabel, Repository, RunEnd
from daemon.repository.result_rows import store_shots
from daemon.store import TrainingState, database
from handlers.caption_records import NewCaption
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.letterbox import CropBox
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.scenes import Scene, SceneFrame, ScenesReport
from handlers.shots import Shot, ShotKind

STAGES = ("probe", "shots", "frames", "quality", "faces", "scenes", "dataset", "captions")
REJECTIONS = (Verdict.BLURRED, Verdict.DUPLICATE, Verdict.TOO_DARK, Verdict.UNIFORM)


@dataclass(frozen=True)
class Scale:
    movies: int = 200
    characters: int = 100
    dataset_images: int = 50_000
    faces: int = 300_000
    frames_per_movie: int = 2_000  # 5 in 8 kept
    shots_per_movie: int = 800
    trained_characters: int = 30  # with two model versions each
    loss_steps: int = 2_000


@dataclass(frozen=True)
class StageNote:
    """The result of a stage whose rows the page does not read."""

    note: str


def name(n: int) -> str:
    return f"Character {n:03d}"


def ready_library(library: Path, rebuild: bool = False) -> None:
    """The scale library at `library`, generated when missing (or asked to `rebuild`), its
    schema brought up to date, and its unknown faces clustered if an older build left them
    loose: what every page benchmark reads."""
    if rebuild and library.exists():
        shutil.rmtree(library)
    if not (library / "bunny.db").exists():
        started = time.perf_counter()
        build(library, Scale())
        print(f"generated {library} in {time.perf_counter() - started:.0f} s")
    repo = Repository(library / "bunny.db")  # opening it migrates an older schema
    try:
        if repo.cluster_count() == 0:
            review_state(repo)
    finally:
        repo.close()


def build(library: Path, scale: Scale) -> None:
    repo = Repository(library / "bunny.db")
    try:
        for n in range(scale.characters):
            record = repo.save_character(name(n), f"char{n:03d}", "person")
            for r in range(2):
                box, encoding = FaceBox(10, 60, 60, 10), tuple([0.001 * n + r] * 128)
                file = f"characters/{name(n)}/reference/r{r}.png"
                repo.add_reference(record.id, f"{n:032x}{r:032x}", file, box, encoding)
        for m in range(scale.movies):
            with database.atomic():  # one transaction per movie, for speed only
                _movie(repo, m, scale)
        _training(repo, library, scale)
        review_state(repo)
    finally:
        repo.close()


def review_state(repo: Repository, group: int = 25) -> None:
    """What the unknown faces page shows: the unknown faces clustered in groups of `group`
    (one in ten left loose, as singletons), and one named face in 20 matched with a margin of
    0.05 (an unsure match, for the noise bucket)."""
    unknown = [f.id for f in repo.unknown_faces()]
    clustered = [face for n, face in enumerate(unknown) if n % 10]
    repo.set_clusters(
        {face: f"c{clustered[n - n % group]:06d}" for n, face in enumerate(clustered)}
    )
    named = [f for f in repo.stored_faces() if f.character is not None][::20]
    changes = [Relabel(f.id, f.movie_id, f.frame, f.number, f.character, 0.4, 0.45) for f in named]
    repo.relabel_faces(changes)


def _movie(repo: Repository, m: int, scale: Scale) -> None:
    rng = random.Random(m)
    sha = hashlib.sha256(f"movie {m}".encode()).hexdigest()
    movie = repo.add_movie(sha, f"Movie {m:03d} (1080p).mkv", Path(f"inbox/movies/{m}.mkv"), 4**15)
    shot_seconds = 7200 / scale.shots_per_movie
    shots = tuple(
        Shot(i, i * shot_seconds, (i + 1) * shot_seconds, i * 100, (i + 1) * 100,
             ShotKind.STATIC if i % 3 else ShotKind.MOVING, 0.1)
        for i in range(scale.shots_per_movie)
    )  # fmt: skip
    store_shots(movie.id, shots)
    frames = [_frame(i, scale, rng) for i in range(scale.frames_per_movie)]
    kept = [f for f in frames if f.verdict is Verdict.KEPT]
    faces = _faces(movie.id, kept, scale, rng)
    for stage in STAGES:
        repo.start_stage(movie.id, stage)
        result = _result(stage, frames, faces, sha)
        repo.finish_stage(movie.id, stage, rng.uniform(5, 600), result)
        if isinstance(result, DatasetReport):
            for image in result.images:
                text = f"{image.character}, a person, close-up, in a dim room, frame {image.frame}"
                repo.save_caption(
                    NewCaption(image.file, sha[:12], image.character, "template", text, "0" * 16)
                )
    if m % 40 == 0:
        repo.start_stage(movie.id, "captions")  # a few in flight
        repo.set_progress(movie.id, "captions", 0.4)
    elif m % 40 == 1:
        repo.mark_failed(movie.id, "captions: the provider refused the image " * 20, 4)
    else:
        repo.mark_done(movie.id)


def _frame(i: int, scale: Scale, rng: random.Random) -> JudgedFrame:
    seconds = i * 7200 / scale.frames_per_movie
    verdict = Verdict.KEPT if i % 8 < 5 else REJECTIONS[i % 4]
    stamp = f"{int(seconds // 3600):02d}-{int(seconds % 3600 // 60):02d}-{seconds % 60:06.3f}"
    return JudgedFrame(
        stamp, seconds, int(seconds // (7200 / scale.shots_per_movie)), "middle",
        f"frames/{stamp}.jpg" if verdict is Verdict.KEPT else None,
        rng.uniform(50, 500), rng.uniform(0.5, 2), rng.uniform(0.2, 0.8), 0.1,
        f"{rng.getrandbits(64):016x}", verdict,
        None if verdict is Verdict.KEPT else f"{verdict.value}: below the movie's median",
        None,
    )  # fmt: skip


def _faces(m: int, kept: list[JudgedFrame], scale: Scale, rng: random.Random) -> list[FoundFace]:
    per_movie = scale.faces // scale.movies
    encoding = tuple(np.random.default_rng(m).normal(0, 0.09, 128).round(6))
    found = []
    for i in range(per_movie):
        frame = kept[i % len(kept)]
        character = name(rng.randrange(scale.characters)) if i % 3 else None
        box = FaceBox(100, 300, 200 + i // len(kept) * 10, 200)
        found.append(FoundFace(frame.name, i // len(kept), box, character, 0.4, 0.6, encoding))
    return found


def _result(stage: str, frames: list[JudgedFrame], faces: list[FoundFace], sha: str) -> object:
    kept = [f for f in frames if f.verdict is Verdict.KEPT]
    if stage == "quality":
        return QualityReport(tuple(frames), len(kept), len(frames) - len(kept))
    if stage == "faces":
        return FacesReport(tuple(faces), len(kept), len(kept), 0, ())
    if stage == "scenes":
        scenes = tuple(
            Scene(s + 1, s * 8, s * 8 + 7, s * 72.0, s * 72.0 + 72, 8, 12) for s in range(100)
        )
        frame_scenes = tuple(SceneFrame(f.name, f.shot, f.shot // 8 + 1, (0.1,) * 16) for f in kept)
        return ScenesReport("descriptor:bench", 16, 0.8, scenes, frame_scenes)
    if stage == "dataset":
        return _dataset(faces, sha)
    return StageNote(stage)


def _dataset(faces: list[FoundFace], sha: str) -> DatasetReport:
    named = [f for f in faces if f.character is not None and f.number == 0]
    images = tuple(
        DatasetImage(f.character or "", f.frame,
                     f"characters/{f.character}/dataset/{sha[:12]}_{f.frame}.jpg",
                     CropBox(0, 0, 512, 512), 512, 512)
        for f in named[:250]
    )  # fmt: skip
    return DatasetReport(images, 0, 0)


def _training(repo: Repository, library: Path, scale: Scale) -> None:
    for n in range(scale.trained_characters):
        models = library / "characters" / name(n) / "models"
        for version in (1, 2):
            folder = models / f"{name(n)}-v{version}"
            (folder / "samples").mkdir(parents=True, exist_ok=True)
            for index in (1, 2):
                Image.new("RGB", (8, 8), (n, version, index)).save(
                    folder / "samples" / f"{index:02d}-seed42.png"
                )
            lines = [f"{s},{1 / (s + 1)!r},{1 / (s + 2)!r}" for s in range(1, scale.loss_steps + 1)]
            (folder / "losses.csv").write_text("step,loss,smoothed_loss\n" + "\n".join(lines))
            relative = folder.relative_to(library).as_posix() + ".partial"
            repo.training_started(name(n), version, relative, 400 * version, 400 * version)
            end = RunEnd(TrainingState.DONE, scale.loss_steps, 0.05)
            repo.training_ended(name(n), version, end)
