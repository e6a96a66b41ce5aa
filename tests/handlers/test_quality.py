"""The `quality` stage: each rejection reason, duplicates across movies, and the filed frames."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.config import QualityConfig
from handlers.base import MovieJob, StageContext
from handlers.frame_capture import Candidate, CandidateRole, timestamp_name
from handlers.frames import FrameSelection
from handlers.image_measures import measure, working_grey
from handlers.letterbox import CropBox
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import QualityHandler, QualityReport, Verdict
from handlers.sharpness_spread import SharpnessSpread
from handlers.shots import CANDIDATES_FOLDER, Shot, ShotKind, ShotList


def picture(seed: int, blur: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(9, 16), dtype=np.uint8)
    grey = cv2.resize(small, (320, 180), interpolation=cv2.INTER_CUBIC)
    grey = cv2.add(grey, rng.integers(0, 60, size=grey.shape, dtype=np.uint8))
    return cv2.GaussianBlur(grey, (0, 0), blur) if blur else grey


def movie_spread() -> SharpnessSpread:
    """The sharpness spread of a movie made of pictures like `picture`: its median is one."""
    median = measure(working_grey(picture(0))).sharpness
    return SharpnessSpread(1440, median / 2, median, median * 2)


def candidate_file(movie_dir: Path, seconds: float, grey: np.ndarray) -> Candidate:
    """A real candidate JPEG in the movie's candidates folder, measured as the pass does."""
    name = timestamp_name(seconds)
    folder = movie_dir / CANDIDATES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / f"{name}.jpg"), grey)
    m = measure(working_grey(grey))
    return Candidate(
        name, seconds, 0, CandidateRole.MIDDLE, m.sharpness, m.brightness, m.flat_fraction, m.phash
    )


def judge(
    library: Path, movie: str, chosen: list[Candidate], handler: QualityHandler
) -> QualityReport:
    shots = ShotList(
        (Shot(0, 0.0, 60.0, 0, 1440, ShotKind.MOVING, 2.0),),
        1440,
        0,
        "shots",
        CropBox(0, 0, 320, 180),
        movie_spread(),
        tuple(chosen),
    )
    selection = FrameSelection(tuple(chosen), 0, 0)
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    job = MovieJob(movie, Path("movie.mp4"), library, (shots, selection), context)
    return handler.run(job)


def test_each_fault_is_rejected_with_its_reason_and_good_frames_are_filed(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    sharp = picture(1)
    title = np.full((180, 320), 60, np.uint8)
    cv2.putText(title, "THE END", (110, 95), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1)
    frames = [
        candidate_file(movie_dir, 1.0, sharp),
        candidate_file(movie_dir, 2.0, (picture(2) * 0.05).astype(np.uint8)),
        candidate_file(movie_dir, 3.0, np.full((180, 320), 250, np.uint8)),
        candidate_file(movie_dir, 4.0, title),
        candidate_file(movie_dir, 5.0, picture(3, blur=4)),
        candidate_file(movie_dir, 6.0, cv2.resize(cv2.resize(sharp, (300, 170)), (320, 180))),
        candidate_file(movie_dir, 7.0, picture(4)),
    ]
    report = judge(tmp_path, "m1", frames, QualityHandler(QualityConfig()))
    verdicts = [f.verdict for f in report.frames]
    assert verdicts == [
        Verdict.KEPT,
        Verdict.TOO_DARK,
        Verdict.TOO_BRIGHT,
        Verdict.UNIFORM,
        Verdict.BLURRED,
        Verdict.DUPLICATE,
        Verdict.KEPT,
    ]
    assert all(f.reason for f in report.frames if f.verdict is not Verdict.KEPT)
    assert report.frames[5].duplicate_of == "m1/00-00-01.000"
    assert (report.kept, report.rejected) == (2, 5)
    filed = sorted(p.name for p in (movie_dir / "frames").iterdir())
    assert filed == ["00-00-01.000.jpg", "00-00-07.000.jpg"]
    assert not (movie_dir / CANDIDATES_FOLDER).exists()


def test_a_frame_repeating_an_earlier_movie_is_a_duplicate(tmp_path: Path) -> None:
    index = NearDuplicateIndex(QualityConfig().duplicate_distance)
    handler = QualityHandler(QualityConfig(), index)
    first = judge(
        tmp_path, "m1", [candidate_file(tmp_path / "movies/m1", 1.0, picture(5))], handler
    )
    assert first.kept == 1
    again = candidate_file(tmp_path / "movies/m2", 9.5, picture(5))
    second = judge(tmp_path, "m2", [again], handler)
    assert second.frames[0].verdict is Verdict.DUPLICATE
    assert second.frames[0].duplicate_of == "m1/00-00-01.000"


def test_a_rerun_does_not_find_its_own_frames_as_duplicates(tmp_path: Path) -> None:
    handler = QualityHandler(QualityConfig())
    movie_dir = tmp_path / "movies" / "m1"
    chosen = [candidate_file(movie_dir, 1.0, picture(6))]
    assert judge(tmp_path, "m1", chosen, handler).kept == 1
    # The candidates were filed; a second run (after a crash before it was recorded) agrees.
    assert judge(tmp_path, "m1", chosen, handler).kept == 1
    assert sorted(p.name for p in (movie_dir / "frames").iterdir()) == ["00-00-01.000.jpg"]


def test_frames_kept_by_an_earlier_run_and_rejected_now_are_removed(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    stale = movie_dir / "frames" / "00-00-42.000.jpg"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    judge(tmp_path, "m1", [candidate_file(movie_dir, 1.0, picture(7))], QualityHandler())
    assert not stale.exists()


def test_a_failed_run_leaves_no_hashes_for_other_movies_to_match(tmp_path: Path) -> None:
    index = NearDuplicateIndex(QualityConfig().duplicate_distance)
    handler = QualityHandler(QualityConfig(), index)
    chosen = candidate_file(tmp_path / "movies" / "m1", 1.0, picture(8))
    (tmp_path / "movies" / "m1" / CANDIDATES_FOLDER / f"{chosen.name}.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="is gone"):
        judge(tmp_path, "m1", [chosen], handler)
    assert len(index) == 0
