"""Quality judged on the picture inside its borders: generated slideshows through the real
shots, frames and quality stages, and bordered candidates judged alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from daemon.config import QualityConfig
from handlers.base import MovieJob, StageContext
from handlers.frames import FramesHandler
from handlers.quality import QualityHandler, QualityReport, Verdict
from handlers.shots import ShotsHandler
from tests.handlers.test_quality import candidate_file, judge, picture
from tests.media import textured, write_segments
from tests.slideshows import portrait

Frame = npt.NDArray[np.uint8]
WIDTH, HEIGHT = 320, 180
SECONDS = 48  # frames per photo: two seconds at 24 fps


def centred(seed: int, width: int, height: int, tone: int) -> Callable[[int], Frame]:
    photo = textured(seed, size=(width, height))(0)
    frame = np.full((HEIGHT, WIDTH, 3), tone, np.uint8)
    top, left = (HEIGHT - height) // 2, (WIDTH - width) // 2
    frame[top : top + height, left : left + width] = photo
    return lambda _: frame


def run_stages(clip: Path) -> QualityReport:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    earlier: tuple[object, ...] = ()
    for handler in (ShotsHandler(), FramesHandler(), QualityHandler()):
        job = MovieJob("k", clip, clip.parent, earlier, context)
        earlier = (*earlier, handler.run(job))
    report = earlier[-1]
    assert isinstance(report, QualityReport)
    return report


def test_smaller_photos_on_black_and_grey_in_a_slideshow_are_kept(tmp_path: Path) -> None:
    full = [(textured(seed, size=(WIDTH, HEIGHT)), SECONDS) for seed in (1, 2, 3, 4)]
    half_on_black = (centred(5, WIDTH // 2, HEIGHT // 2, 0), SECONDS)
    third_on_grey = (centred(6, 112, 64, 128), SECONDS)
    clip = write_segments(
        tmp_path / "slideshow.mp4", [*full, half_on_black, third_on_grey], size=(WIDTH, HEIGHT)
    )
    report = run_stages(clip)
    by_shot = {frame.shot: frame for frame in report.frames}
    assert sorted(by_shot) == [0, 1, 2, 3, 4, 5]
    assert [(f.shot, f.verdict, f.reason) for f in report.frames if f.shot >= 4] == [
        (4, Verdict.KEPT, None),
        (5, Verdict.KEPT, None),
    ]
    assert by_shot[4].relative_sharpness > 0.7


def test_a_dim_picture_between_wide_dark_bars_is_not_too_dark(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    band = (picture(1)[:36] * 0.3).astype(np.uint8)  # mean luma about 45: dim, well lit enough
    boxed = np.full((180, 320), 16, np.uint8)  # video-range black
    boxed[72:108] = band
    report = judge(tmp_path, "m1", [candidate_file(movie_dir, 1.0, boxed)], QualityHandler())
    assert [(f.verdict, f.reason) for f in report.frames] == [(Verdict.KEPT, None)]
    assert abs(report.frames[0].brightness - float(band.mean())) < 1.0


def test_a_dark_picture_between_bars_is_still_too_dark(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    boxed = np.full((180, 320), 16, np.uint8)
    boxed[30:150] = (picture(2)[:120] * 0.05).astype(np.uint8)
    report = judge(tmp_path, "m1", [candidate_file(movie_dir, 1.0, boxed)], QualityHandler())
    assert [f.verdict for f in report.frames] == [Verdict.TOO_DARK]


def test_a_blurred_photo_on_black_is_still_blurred(tmp_path: Path) -> None:
    movie_dir = tmp_path / "movies" / "m1"
    framed = np.zeros((180, 320), np.uint8)
    framed[45:135, 80:240] = picture(3, blur=4)[45:135, 80:240]
    config = QualityConfig()
    report = judge(tmp_path, "m1", [candidate_file(movie_dir, 1.0, framed)], QualityHandler(config))
    assert [f.verdict for f in report.frames] == [Verdict.BLURRED]


def portrait_on_black(seed: int, dark_edge: bool = False) -> Callable[[int], Frame]:
    """A 75 px head-and-shoulders photo centred on black, as a 300 px one in a 1280x720 show."""
    photo = portrait(seed, (76, 76))
    if dark_edge:  # dark hair or shadow down the left side, partly of the surround's tone
        photo[:50, :8] = 6
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    frame[52:128, 122:198] = photo
    return lambda _: frame


def test_different_small_portraits_on_black_are_all_kept(tmp_path: Path) -> None:
    full = [textured(seed, size=(WIDTH, HEIGHT)) for seed in (1, 2, 3)]
    # Seeds 0 and 50 hash 6 bits apart as whole frames (mostly black): "duplicates" before.
    # Full-frame shots between them, so that each portrait is a shot of its own.
    portraits = [portrait_on_black(0), portrait_on_black(50), portrait_on_black(7, dark_edge=True)]
    segments = [(shown, SECONDS) for pair in zip(full, portraits, strict=True) for shown in pair]
    report = run_stages(write_segments(tmp_path / "johns.mp4", segments, size=(WIDTH, HEIGHT)))
    judged = [(f.shot, f.verdict, f.reason) for f in report.frames if f.shot % 2]
    assert judged == [(1, Verdict.KEPT, None), (3, Verdict.KEPT, None), (5, Verdict.KEPT, None)]
