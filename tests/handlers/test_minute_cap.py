"""`frames.max_per_minute` counts distinct frames: duplicates go first, then the limit."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import cv2
import numpy as np

from daemon.config import Config
from evaluation.stages import run_frame_stages
from handlers.base import MovieJob, StageContext
from handlers.frame_capture import Candidate, CandidateRole
from handlers.frames import FramesHandler
from handlers.letterbox import CropBox
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import QualityHandler, QualityReport, Verdict
from handlers.registry import STAGES, StageServices
from handlers.shots import Shot, ShotKind, ShotList
from tests.handlers.test_quality import candidate_file, movie_spread, picture
from tests.media import SIZE, Picture, textured, write_segments


def detailed(seed: int) -> Picture:
    """Blobs with strong fine detail: sharper than `textured`, so a plain sharpness cap
    prefers it."""
    width, height = SIZE
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(6, 10, 3), dtype=np.uint8)
    base = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    detail = rng.integers(0, 90, size=(height, width, 1), dtype=np.uint8)
    base = cv2.add(base, np.repeat(detail, 3, axis=2))
    return lambda _i: base


def with_cap(per_minute: int) -> Config:
    config = Config()
    return dataclasses.replace(
        config, frames=dataclasses.replace(config.frames, max_per_minute=per_minute)
    )


def test_repeats_of_one_picture_do_not_take_the_places_of_different_ones(
    tmp_path: Path,
) -> None:
    # Seven one-second static shots within a minute: five different pictures, the sharpest
    # of them shown three times. The limit of five leaves room for every different picture.
    repeated = detailed(100)
    others = [textured(seed) for seed in (1, 2, 3, 4)]
    order = [repeated, others[0], repeated, others[1], repeated, others[2], others[3]]
    clip = write_segments(tmp_path / "repeats.mp4", [(p, 24) for p in order])
    result = run_frame_stages(clip, tmp_path / "library", with_cap(5))

    assert len(result.shots.shots) == 7
    verdicts = [f.verdict for f in result.quality.frames]
    assert verdicts == [
        Verdict.KEPT,
        Verdict.KEPT,
        Verdict.DUPLICATE,
        Verdict.KEPT,
        Verdict.DUPLICATE,
        Verdict.KEPT,
        Verdict.KEPT,
    ]
    kept_shots = [f.shot for f in result.quality.frames if f.verdict is Verdict.KEPT]
    assert kept_shots == [0, 1, 3, 5, 6]


def sharp(seed: int) -> np.ndarray:
    return picture(seed)


def softer(seed: int) -> np.ndarray:
    """Sharp enough to keep, but less sharp than `sharp`."""
    return cv2.GaussianBlur(picture(seed), (0, 0), 0.6)


def placed(candidate: Candidate, shot: int, role: CandidateRole) -> Candidate:
    return dataclasses.replace(candidate, shot=shot, role=role)


def frames_then_quality(
    library: Path, shots: list[Shot], candidates: list[Candidate], per_minute: int
) -> tuple[QualityReport, NearDuplicateIndex]:
    """The `frames` and `quality` stages as the daemon builds them, on real candidate files."""
    config = with_cap(per_minute)
    index = NearDuplicateIndex(config.quality.duplicate_distance)
    services = StageServices(index)
    spread = movie_spread()
    shot_list = ShotList(
        tuple(shots), 1440, 0, "shots", CropBox(0, 0, 320, 180), spread, tuple(candidates)
    )
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    earlier: list[object] = [shot_list]
    for stage in (FramesHandler.name, QualityHandler.name):
        job = MovieJob("m1", Path("movie.mp4"), library, tuple(earlier), context)
        earlier.append(STAGES[stage](config, services).run(job))
    report = earlier[-1]
    assert isinstance(report, QualityReport)
    return report, index


def shot(index: int, start: float, end: float, kind: ShotKind) -> Shot:
    return Shot(index, start, end, int(start * 24), int(end * 24), kind, 0.0)


def test_frames_over_the_limit_say_so_and_every_shot_keeps_a_frame(tmp_path: Path) -> None:
    # A moving shot gives three sharp frames, two static shots one softer frame each: a
    # limit of three by sharpness alone would leave both static shots without a frame.
    movie_dir = tmp_path / "movies" / "m1"
    roles = (CandidateRole.START, CandidateRole.MIDDLE, CandidateRole.END)
    moving = [
        placed(candidate_file(movie_dir, 1.0 + 3 * i, sharp(11 + i)), 0, role)
        for i, role in enumerate(roles)
    ]
    static = [
        placed(candidate_file(movie_dir, 11.0 + 2 * i, softer(20 + i)), 1 + i, roles[1])
        for i in range(2)
    ]
    shots = [
        shot(0, 0, 10, ShotKind.MOVING),
        shot(1, 10, 12, ShotKind.STATIC),
        shot(2, 12, 14, ShotKind.STATIC),
    ]
    report, _index = frames_then_quality(tmp_path, shots, moving + static, per_minute=3)

    kept = [f for f in report.frames if f.verdict is Verdict.KEPT]
    assert sorted(f.shot for f in kept) == [0, 1, 2]
    assert max(moving, key=lambda c: c.sharpness).name in {f.name for f in kept}
    over = [f for f in report.frames if f.verdict is Verdict.OVER_LIMIT]
    assert len(over) == 2 and all(f.shot == 0 and f.file is None for f in over)
    assert all("frames.max_per_minute keeps 3" in (f.reason or "") for f in over)
    filed = sorted(p.stem for p in (movie_dir / "frames").iterdir())
    assert filed == sorted(f.name for f in kept)


def test_a_picture_left_out_by_the_limit_is_kept_in_a_minute_with_room(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    pictures = [(1.0, sharp(31)), (3.0, sharp(32)), (5.0, softer(33)), (61.0, softer(33))]
    candidates = [
        placed(candidate_file(movie_dir, seconds, grey), number, CandidateRole.MIDDLE)
        for number, (seconds, grey) in enumerate(pictures)
    ]
    shots = [
        shot(0, 0, 2, ShotKind.STATIC),
        shot(1, 2, 4, ShotKind.STATIC),
        shot(2, 4, 6, ShotKind.STATIC),
        shot(3, 60, 62, ShotKind.STATIC),
    ]
    report, index = frames_then_quality(tmp_path, shots, candidates, per_minute=2)

    verdicts = [f.verdict for f in report.frames]
    assert verdicts == [Verdict.KEPT, Verdict.KEPT, Verdict.OVER_LIMIT, Verdict.KEPT]
    assert len(index) == 3  # the frame left out is no twin for later frames
