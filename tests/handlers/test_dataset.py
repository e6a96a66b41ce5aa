"""The `dataset` stage: crops around named faces, sizes, the per-shot limit, re-runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.config import DatasetConfig
from handlers.base import MovieJob, StageContext
from handlers.dataset import DatasetHandler, DatasetReport, crop_around
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.quality import JudgedFrame, QualityReport, Verdict


@pytest.mark.parametrize(
    ("box", "shape", "expected"),
    [
        # A face in the middle of a 1280x720 frame: a square three faces tall.
        (FaceBox(300, 700, 400, 600), "square", (500, 220, 300, 300)),
        # Near the top-left corner: moved inside the frame, not cut.
        (FaceBox(10, 110, 110, 10), "square", (0, 0, 300, 300)),
        # A face too big for a square three times its size: the frame's height bounds it.
        (FaceBox(100, 900, 500, 500), "square", (340, 0, 720, 720)),
        (FaceBox(100, 700, 200, 600), "upper_body", (490, 30, 320, 480)),
        (FaceBox(100, 700, 200, 600), "full", (0, 0, 1280, 720)),
    ],
)
def test_crops_fit_head_and_shoulders_inside_the_frame(
    box: FaceBox, shape: str, expected: tuple[int, int, int, int]
) -> None:
    crop = crop_around(box, 1280, 720, shape)
    assert (crop.left, crop.top, crop.width, crop.height) == expected


def kept(name: str, shot: int) -> JudgedFrame:
    return JudgedFrame(
        name, 1.0, shot, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


def face(frame: str, character: str | None, size: int, number: int = 0) -> FoundFace:
    return FoundFace(frame, number, FaceBox(100, 200 + size, 100 + size, 200), character, 0.4, 0.9)


def run(
    library: Path,
    frames: list[JudgedFrame],
    faces: list[FoundFace],
    config: DatasetConfig,
    record_deletions: Callable[[tuple[str, ...]], None] = lambda _files: None,
) -> DatasetReport:
    for frame in frames:
        path = library / "movies" / "m" / "frames" / f"{frame.name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.full((720, 1280, 3), 128, np.uint8))
    quality = QualityReport(tuple(frames), len(frames), 0)
    found = FacesReport(tuple(faces), len(frames), 0, 0, ())
    context = StageContext(
        report_progress=lambda _: None,
        stop_event=threading.Event(),
        record_deletions=record_deletions,
    )
    job = MovieJob("m", Path("movie.mp4"), library, (quality, found), context)
    return DatasetHandler(config).run(job)


def test_each_named_character_gets_its_images_and_the_rest_are_left_out(tmp_path: Path) -> None:
    frames = [kept("a", 0), kept("b", 0), kept("c", 0), kept("d", 1)]
    faces = [
        face("a", "Ann", 120),
        face("a", None, 150, 1),  # unknown: no dataset
        face("b", "Ann", 200),
        face("c", "Ann", 160),  # the third of shot 0: over the per-shot limit of 2
        face("d", "Ann", 30),  # too small
        face("d", "Bob", 90, 1),
    ]
    report = run(tmp_path, frames, faces, DatasetConfig(min_face_pixels=64, max_per_shot=2))
    files = sorted(image.file for image in report.images)
    assert files == [
        "characters/Ann/dataset/m_b.jpg",
        "characters/Ann/dataset/m_c.jpg",
        "characters/Bob/dataset/m_d.jpg",
    ]
    assert (report.small_faces, report.over_shot_limit) == (1, 1)
    for image in report.images:
        saved = cv2.imread(str(tmp_path / image.file))
        assert saved.shape[:2] == (image.height, image.width)


def test_small_crops_are_not_enlarged_past_the_limit(tmp_path: Path) -> None:
    config = DatasetConfig(resolution=1024, max_upscale=1.5, min_face_pixels=8)
    report = run(tmp_path, [kept("a", 0)], [face("a", "Ann", 100)], config)
    (image,) = report.images
    assert (image.width, image.height) == (450, 450)  # a 300 px square, at most 1.5 times


def test_a_rerun_removes_this_movies_images_no_longer_chosen(tmp_path: Path) -> None:
    config = DatasetConfig(min_face_pixels=8)
    run(tmp_path, [kept("a", 0)], [face("a", "Ann", 100)], config)
    stale = tmp_path / "characters" / "Ann" / "dataset" / "m_a.jpg"
    other_movie = stale.with_name("x_a.jpg")
    other_movie.write_bytes(b"another movie's image")
    assert stale.exists()
    recorded: list[tuple[str, ...]] = []

    def record(files: tuple[str, ...]) -> None:
        assert all((tmp_path / file).exists() for file in files), "recorded before deleting"
        recorded.append(files)

    run(tmp_path, [kept("a", 0)], [face("a", "Bob", 100)], config, record)
    assert recorded == [("characters/Ann/dataset/m_a.jpg",)]
    assert not stale.exists()
    assert other_movie.exists()
    assert (tmp_path / "characters" / "Bob" / "dataset" / "m_a.jpg").exists()
