"""Hard cuts between pictures framed alike: generated slideshows through the shots stage."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from handlers.base import MovieJob, StageContext
from handlers.shots import ShotList, ShotsHandler
from tests.media import write_segments
from tests.slideshows import (
    SLIDE_SIZE,
    Ground,
    on_ground,
    portrait,
    write_dissolve,
    write_slideshow,
)

FRAME_TOLERANCE = 2


def run(path: Path) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return ShotsHandler().run(MovieJob("k", path, path.parent, (), context))


def unmatched(found: tuple[int, ...], expected: tuple[int, ...]) -> tuple[list[int], list[int]]:
    """(expected cuts with no found cut near them, found cuts near no expected one)."""
    missed = [e for e in expected if all(abs(f - e) > FRAME_TOLERANCE for f in found)]
    extra = [f for f in found if all(abs(f - e) > FRAME_TOLERANCE for e in expected)]
    return missed, extra


@pytest.mark.parametrize("ground", list(Ground), ids=lambda g: g.name.lower())
def test_every_cut_between_portraits_framed_alike_is_found(tmp_path: Path, ground: Ground) -> None:
    show = write_slideshow(tmp_path / "show.mp4", ground, photos=12)
    missed, extra = unmatched(run(show.path).cut_frames, show.cut_frames)
    assert (missed, extra) == ([], [])


def still(ground: Ground, seed: int) -> np.ndarray:
    width, height = SLIDE_SIZE
    size = SLIDE_SIZE if ground is Ground.FULL_FRAME else (width // 2, height * 2 // 3)
    return on_ground(portrait(seed, size), ground, SLIDE_SIZE)


@pytest.mark.parametrize("ground", list(Ground), ids=lambda g: g.name.lower())
def test_a_fade_through_black_between_portraits_is_one_boundary(
    tmp_path: Path, ground: Ground
) -> None:
    first, second = still(ground, 1).astype(np.float32), still(ground, 2).astype(np.float32)

    def fade(i: int) -> np.ndarray:
        # Out to black over frames 24-35, black 36-41, in over 42-53.
        level = float(np.clip(abs(i - 38.5) / 12 - 0.25, 0.0, 1.0))
        return ((first if i < 38 else second) * level).astype(np.uint8)

    clip = write_segments(tmp_path / "fade.mp4", [(fade, 78)], size=SLIDE_SIZE)
    cuts = run(clip).cut_frames
    assert len(cuts) == 1 and 36 <= cuts[0] <= 44


@pytest.mark.parametrize("ground", list(Ground), ids=lambda g: g.name.lower())
def test_a_portrait_fading_out_and_back_has_no_cut(tmp_path: Path, ground: Ground) -> None:
    picture = still(ground, 3).astype(np.float32)

    def fade(i: int) -> np.ndarray:
        return (picture * (abs(24 - i) / 24)).astype(np.uint8)

    assert (
        run(write_segments(tmp_path / "fade.mp4", [(fade, 49)], size=SLIDE_SIZE)).cut_frames == ()
    )


@pytest.mark.parametrize("ground", list(Ground), ids=lambda g: g.name.lower())
def test_a_flash_on_a_portrait_is_not_a_cut(tmp_path: Path, ground: Ground) -> None:
    picture = still(ground, 4).astype(np.int16)

    def flash(i: int) -> np.ndarray:
        return np.clip(picture + (100 if i in (20, 21) else 0), 0, 255).astype(np.uint8)

    assert (
        run(write_segments(tmp_path / "flash.mp4", [(flash, 48)], size=SLIDE_SIZE)).cut_frames == ()
    )


def test_a_pan_across_a_portrait_starting_from_still_is_not_a_cut(tmp_path: Path) -> None:
    width, height = SLIDE_SIZE
    wide = portrait(5, (width * 2, height))

    def pan(i: int) -> np.ndarray:
        offset = max(0, i - 24) * 4  # still for a second, then a pan of 4 pixels a frame
        return np.ascontiguousarray(wide[:, offset : offset + width])

    assert run(write_segments(tmp_path / "pan.mp4", [(pan, 72)], size=SLIDE_SIZE)).cut_frames == ()


@pytest.mark.parametrize("frames", [30, 72], ids=["1.25s", "3s"])
@pytest.mark.parametrize("ground", list(Ground), ids=lambda g: g.name.lower())
def test_a_dissolve_longer_than_a_second_is_one_boundary_inside_it(
    tmp_path: Path, ground: Ground, frames: int
) -> None:
    # No frame of a dissolve changes much from the last: only the blend gives it away.
    dissolve = write_dissolve(tmp_path / "dissolve.mp4", ground, frames)
    cuts = run(dissolve.path).cut_frames
    assert len(cuts) == 1, cuts
    assert dissolve.first <= cuts[0] <= dissolve.last, cuts


def test_a_slow_pan_over_a_smooth_picture_is_not_a_dissolve(tmp_path: Path) -> None:
    # A fraction of a thumbnail pixel a frame blends neighbouring pixels: a blend, too.
    width, height = SLIDE_SIZE
    rng = np.random.default_rng(11)
    coarse = rng.integers(0, 255, size=(5, 9, 3), dtype=np.uint8)
    wide = cv2.resize(coarse, (width + 160, height), interpolation=cv2.INTER_CUBIC)

    def pan(i: int) -> np.ndarray:
        return np.ascontiguousarray(wide[:, i : i + width])

    clip = write_segments(tmp_path / "slow_pan.mp4", [(pan, 150)], size=SLIDE_SIZE)
    assert run(clip).cut_frames == ()
