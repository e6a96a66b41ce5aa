"""Blur judged by how steep a picture's edges are, not by how many it has: generated clips, and
the soft John crops of ../shared/media, through the real shots, frames and quality stages."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from handlers.base import MovieJob, StageContext
from handlers.image_measures import rgb_of_file
from handlers.quality import Verdict
from handlers.shots import ShotList, ShotsHandler
from tests.conftest import SHARED_MEDIA
from tests.handlers.test_quality_content_area import run_stages
from tests.media import FPS, Picture, textured, write_segments

Frame = npt.NDArray[np.uint8]
WIDTH, HEIGHT = 320, 180
SHOT = 48  # frames: two seconds


def still(frame: Frame) -> Picture:
    return lambda _: frame


def close_up() -> Frame:
    """A face filling the frame: smooth shading and a few crisp features, no texture at all."""
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    frame[:] = np.linspace(40, 90, WIDTH, dtype=np.uint8)[None, :, None]
    centre = (WIDTH // 2, HEIGHT // 2 + 10)
    cv2.ellipse(frame, centre, (70, 95), 0, 0, 360, (200, 165, 140), -1)
    shade = np.zeros((HEIGHT, WIDTH), np.float32)
    cv2.ellipse(shade, centre, (70, 95), 0, 0, 360, 1.0, -1)
    light = np.linspace(1.0, 0.75, WIDTH, dtype=np.float32)[None, :]
    frame = (frame * np.where(shade > 0, light, 1.0)[..., None]).astype(np.uint8)
    for side in (-1, 1):
        eye = (centre[0] + side * 28, centre[1] - 20)
        cv2.ellipse(frame, eye, (12, 6), 0, 0, 360, (40, 30, 30), -1)
    cv2.ellipse(frame, (centre[0], centre[1] + 40), (22, 6), 0, 0, 180, (120, 60, 60), 3)
    return frame


def blurred(frame: Frame, sigma: float) -> Frame:
    return np.asarray(cv2.GaussianBlur(frame, (0, 0), sigma), np.uint8)


def test_a_sharp_smooth_close_up_among_textured_wide_shots_is_kept(tmp_path: Path) -> None:
    # Four textured wide shots set the movie's median; the variance of the Laplacian put the
    # sharp close-up of smooth skin under 0.35 of it, as blurred as its really blurred copy.
    wide = [textured(seed, size=(WIDTH, HEIGHT)) for seed in (1, 2, 3, 4)]
    segments = [
        (wide[0], SHOT),
        (still(close_up()), SHOT),
        (wide[1], SHOT),
        (still(blurred(close_up(), 2.5)), SHOT),
        (wide[2], SHOT),
        (wide[3], SHOT),
    ]
    clip = write_segments(tmp_path / "close_up.mp4", segments, size=(WIDTH, HEIGHT))
    report = run_stages(clip)
    by_shot = {frame.shot: frame for frame in report.frames}
    assert sorted(by_shot) == [0, 1, 2, 3, 4, 5]
    assert (by_shot[1].verdict, by_shot[1].reason) == (Verdict.KEPT, None)
    assert by_shot[3].verdict is Verdict.BLURRED
    assert [by_shot[shot].verdict for shot in (0, 2, 4, 5)] == [Verdict.KEPT] * 4


def panned(frame: Frame, length: int) -> Frame:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return np.asarray(cv2.filter2D(frame, -1, kernel), np.uint8)


def test_a_shot_gives_its_steady_frame_not_its_motion_blurred_ones(tmp_path: Path) -> None:
    # Four seconds of one picture, motion-blurred by a pan but for frames 44-47, inside the
    # window the middle pick comes from.
    scene = textured(7, size=(WIDTH, HEIGHT))(0)
    steady = range(44, 48)
    smeared = [panned(scene, 9 + 2 * (i % 3)) for i in range(3)]

    def shown(index: int) -> Frame:
        return scene if index in steady else smeared[index % 3]

    clip = write_segments(tmp_path / "pan.mp4", [(shown, 96)], size=(WIDTH, HEIGHT))
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    result = ShotsHandler().run(MovieJob("k", clip, clip.parent, (), context))
    assert isinstance(result, ShotList)
    middle = [c for c in result.candidates if c.role.value == "middle"]
    assert len(middle) == 1
    assert round(middle[0].seconds * FPS) in steady


def smooth_scene(seed: int) -> Frame:
    """Soft shapes and no grain, like a film's out-of-focus background."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(30, 220, size=(24, 40, 3), dtype=np.uint8)
    return np.asarray(cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC))


def test_a_shot_that_fades_out_gives_its_fully_lit_frames(tmp_path: Path) -> None:
    # In a fade a smooth picture's few gradients shrink to the encoder's rounding steps, which
    # look like fine detail: a measure of blur alone took the darkest frames of the fade.
    scene = smooth_scene(8)

    def fading(index: int) -> Frame:
        level = min(1.0, (71 - index) / 12)  # the last 12 of 72 frames fade to black
        return np.asarray(scene * level, np.uint8)

    clip = write_segments(
        tmp_path / "fade.mp4",
        [(fading, 72), (still(smooth_scene(9)), SHOT)],
        size=(WIDTH, HEIGHT),
    )
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    result = ShotsHandler().run(MovieJob("k", clip, clip.parent, (), context))
    assert isinstance(result, ShotList)
    first = [c for c in result.candidates if c.shot == 0]
    assert first
    lit = float(cv2.cvtColor(scene, cv2.COLOR_RGB2GRAY).mean())
    assert [c.role.value for c in first if c.brightness < 0.9 * lit] == []


JOHNS = SHARED_MEDIA / "faces" / "johns"
# The crops the variance of the Laplacian rejected in `python -m evaluation.identity`, at 0.22-0.30
# of the movie's median: softer than most, but good pictures of their faces.
SOFT_JOHNS = (
    "John_Savage/000289_01099139.jpg",
    "John_Simm/000310_00470421.jpg",
    "John_Savage/000291_01099214.jpg",
    "John_Shimkus/000396_03227722.jpg",
    "John_Savage/000274_01099061.jpg",
    "John_Schneider/000326_00926128.jpg",
    "John_Savage/000299_01099008.jpg",
)
# Crops it kept, shown longer so that they set the movie's median as most Johns did there;
# each of another person than its neighbours, so that the cut to it is never in doubt.
KEPT_JOHNS = (
    "John_Salley/000179_02159509.jpg",
    "John_Schneider/000288_00925786.jpg",
    "John_Shimkus/000373_03228153.jpg",
    "John_Simm/000288_00470387.jpg",
    "John_Shimkus/000390_03227666.jpg",
    "John_Salley/000190_02159501.jpg",
    "John_Schneider/000307_00925823.jpg",
)
JOHN_WIDTH, JOHN_HEIGHT = 640, 360  # a crop at its own 150 px here is the evaluation's at 2x


def on_ground(photo: Frame, tone: int) -> Frame:
    frame = np.full((JOHN_HEIGHT, JOHN_WIDTH, 3), tone, np.uint8)
    top, left = (JOHN_HEIGHT - photo.shape[0]) // 2, (JOHN_WIDTH - photo.shape[1]) // 2
    frame[top : top + photo.shape[0], left : left + photo.shape[1]] = photo
    return frame


@pytest.mark.media
@pytest.mark.skipif(not JOHNS.is_dir(), reason=f"the John crops not found at {JOHNS}")
def test_soft_john_crops_are_kept_and_their_blurred_copies_are_not(tmp_path: Path) -> None:
    photos: list[tuple[Frame, int]] = []
    for soft, kept in zip(SOFT_JOHNS, KEPT_JOHNS, strict=True):
        crop = rgb_of_file(str(JOHNS / soft))
        photos += [
            (crop, SHOT),
            (rgb_of_file(str(JOHNS / kept)), 3 * SHOT),
            (blurred(crop, 3.0), SHOT),
        ]
    # Black and grey grounds by turns: every change of photo is a cut the detector sees.
    segments = [
        (still(on_ground(photo, 0 if number % 2 else 128)), frames)
        for number, (photo, frames) in enumerate(photos)
    ]
    clip = write_segments(tmp_path / "johns.mp4", segments, size=(JOHN_WIDTH, JOHN_HEIGHT))
    report = run_stages(clip)
    by_shot = {frame.shot: frame for frame in report.frames}
    assert sorted(by_shot) == list(range(len(photos)))
    soft = [(SOFT_JOHNS[i], by_shot[3 * i].verdict, by_shot[3 * i].reason) for i in range(7)]
    assert soft == [(name, Verdict.KEPT, None) for name in SOFT_JOHNS]
    assert [by_shot[3 * i + 2].verdict for i in range(7)] == [Verdict.BLURRED] * 7
