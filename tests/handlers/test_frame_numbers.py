"""`shots.decode`: the one decode pass on reference frames only, or on every frame.

Clips are generated with B-frames (libx264's defaults: non-reference B-frames between the
others) and without (H.264 with no B-frames, MPEG-4 part 2, MJPEG, VP9), with their hard
cuts on odd frames so that some fall where the decoder skips a frame.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.config import FramesConfig, ShotsConfig
from handlers.base import MovieJob, StageContext
from handlers.frame_numbers import FrameScope
from handlers.shots import ShotList, ShotsHandler
from tests.conftest import SHARED_MEDIA
from tests.media import write_segments
from tests.slideshows import SLIDE_SIZE, Ground, on_ground, portrait

FRAME_TOLERANCE = 2
FRAMES_EACH = 25  # odd cut frames: 25, 75, 125...
PHOTOS = 8
VTEST = SHARED_MEDIA / "clips" / "vtest.avi"


def run(path: Path, decode: str) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    handler = ShotsHandler(ShotsConfig(decode=decode))  # type: ignore[arg-type]
    return handler.run(MovieJob("k", path, path.parent / decode, (), context))


def slideshow(path: Path, codec: str = "libx264", options: dict[str, str] | None = None) -> Path:
    photos = [
        on_ground(portrait(seed, SLIDE_SIZE), Ground.FULL_FRAME, SLIDE_SIZE)
        for seed in range(PHOTOS)
    ]
    segments = [(lambda _i, photo=photo: photo, FRAMES_EACH) for photo in photos]
    return write_segments(path, segments, size=SLIDE_SIZE, codec=codec, options=options)


def true_cuts() -> tuple[int, ...]:
    return tuple(FRAMES_EACH * n for n in range(1, PHOTOS))


def near(found: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= FRAME_TOLERANCE for f, e in zip(found, expected, strict=True)
    )


def test_reference_frames_only_decode_fewer_and_still_find_every_cut(tmp_path: Path) -> None:
    clip = slideshow(tmp_path / "show.mp4")
    reference, every = run(clip, "reference"), run(clip, "every")
    assert every.frames_decoded == PHOTOS * FRAMES_EACH
    assert every.decode is FrameScope.EVERY and every.cut_frames == true_cuts()
    assert reference.decode is FrameScope.REFERENCE
    assert reference.frames_decoded < 0.7 * every.frames_decoded
    # Cut frames count the stream's frames, decoded or not.
    assert near(reference.cut_frames, true_cuts()), reference.cut_frames
    assert reference.shots[-1].end_frame == PHOTOS * FRAMES_EACH
    for found, truth in zip(reference.cut_seconds, every.cut_seconds, strict=True):
        assert abs(found - truth) <= FRAME_TOLERANCE / 24 + 1e-6


def test_a_stream_under_twenty_frames_a_second_decodes_every_frame_and_says_so(
    tmp_path: Path,
) -> None:
    """A step of two frames is a fifth of a second at 10 fps: too coarse for the cut detector
    (scenes/counter.mp4 got a false cut), so such a stream is decoded whole, and the result
    records what was really decoded, not what was asked."""
    photos = [
        on_ground(portrait(seed, SLIDE_SIZE), Ground.FULL_FRAME, SLIDE_SIZE) for seed in (0, 1)
    ]
    segments = [(lambda _i, photo=photo: photo, FRAMES_EACH) for photo in photos]
    clip = write_segments(tmp_path / "slow.mp4", segments, size=SLIDE_SIZE, fps=10)
    result = run(clip, "reference")
    assert result.frames_decoded == 2 * FRAMES_EACH
    assert result.decode is FrameScope.EVERY


def test_reference_frames_only_is_the_default() -> None:
    assert ShotsConfig().decode == "reference"


@pytest.mark.parametrize(
    ("suffix", "codec", "options"),
    [
        ("mp4", "libx264", {"bf": "0"}),
        ("avi", "mpeg4", {}),
        ("avi", "mjpeg", {}),
        ("webm", "libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}),
    ],
    ids=["h264-no-b-frames", "mpeg4", "mjpeg", "vp9"],
)
def test_a_file_whose_every_frame_is_a_reference_gives_the_same_result_either_way(
    tmp_path: Path, suffix: str, codec: str, options: dict[str, str]
) -> None:
    clip = slideshow(tmp_path / f"show.{suffix}", codec, options)
    reference, every = run(clip, "reference"), run(clip, "every")
    assert every.frames_decoded == PHOTOS * FRAMES_EACH
    assert reference.frames_decoded == every.frames_decoded
    assert reference.shots == every.shots
    assert reference.sharpness == every.sharpness
    assert [c.seconds for c in reference.candidates] == [c.seconds for c in every.candidates]
    assert near(every.cut_frames, true_cuts()), every.cut_frames


def test_mpeg4_with_b_frames_skips_them_and_finds_every_cut_within_two_frames(
    tmp_path: Path,
) -> None:
    # MPEG-4 part 2's B-frames are never references: two in a row are skipped.
    clip = slideshow(tmp_path / "show.avi", "mpeg4", {"bf": "2"})
    reference = run(clip, "reference")
    assert reference.frames_decoded < 0.5 * PHOTOS * FRAMES_EACH
    assert near(reference.cut_frames, true_cuts()), reference.cut_frames


@pytest.mark.skipif(not VTEST.exists(), reason=f"real clip not found at {VTEST}")
def test_the_real_avi_clip_gives_the_same_result_either_way(tmp_path: Path) -> None:
    clip = tmp_path / VTEST.name
    clip.symlink_to(VTEST)
    reference, every = run(clip, "reference"), run(clip, "every")
    assert reference.frames_decoded == every.frames_decoded > 0
    assert reference.shots == every.shots


def test_motion_stays_per_frame_of_the_stream(tmp_path: Path) -> None:
    # A smooth picture moved a pixel a frame: between two decoded frames twice as far.
    width, height = SLIDE_SIZE
    coarse = np.random.default_rng(3).integers(0, 255, size=(5, 9, 3), dtype=np.uint8)
    wide = cv2.resize(coarse, (width + 120, height), interpolation=cv2.INTER_CUBIC)

    def pan(i: int) -> np.ndarray:
        return np.ascontiguousarray(wide[:, i : i + width])

    clip = write_segments(tmp_path / "pan.mp4", [(pan, 96)], size=SLIDE_SIZE)
    reference, every = run(clip, "reference"), run(clip, "every")
    assert reference.frames_decoded < 0.7 * every.frames_decoded
    (moved,), (truth,) = reference.shots, every.shots
    assert moved.kind is truth.kind
    assert moved.mean_motion == pytest.approx(truth.mean_motion, rel=0.25)


def test_a_dissolve_a_second_after_a_cut_is_found_on_reference_frames(tmp_path: Path) -> None:
    # A cut at 24, a second of one portrait, a dissolve into another over frames 48-77, a
    # second more. The dissolve finder's windows are one and two seconds of the stream;
    # counted in decoded frames they would be twice as long here and span the cut.
    first, second, third = (
        on_ground(portrait(seed, (200, 140)), Ground.GREY, SLIDE_SIZE).astype(np.float32)
        for seed in (7, 1, 2)
    )

    def picture(i: int) -> np.ndarray:
        if i < 24:
            return first.astype(np.uint8)
        share = min(1.0, max(0.0, (i - 48 + 1) / 31))
        return ((1 - share) * second + share * third).astype(np.uint8)

    # x264 puts P-frames through a dissolve when left to choose: here B-frames stay.
    fixed_b_frames = {"x264-params": "b-adapt=0"}
    clip = write_segments(
        tmp_path / "dissolve.mp4", [(picture, 102)], size=SLIDE_SIZE, options=fixed_b_frames
    )
    reference = run(clip, "reference")
    assert reference.frames_decoded < 0.7 * 102
    cut, boundary = reference.cut_frames
    assert abs(cut - 24) <= FRAME_TOLERANCE
    assert 48 <= boundary <= 77


def test_keyframes_mode_numbers_keyframes_one_after_another_as_before(tmp_path: Path) -> None:
    # Keyframes lie a second apart: they are not reference frames with 23 skipped between,
    # and the cut detector judges them one after another, as it always did.
    photos = [
        on_ground(portrait(seed, SLIDE_SIZE), Ground.FULL_FRAME, SLIDE_SIZE) for seed in (3, 4)
    ]
    segments = [(lambda _i, photo=photo: photo, 48) for photo in photos]
    clip = write_segments(tmp_path / "gop.mp4", segments, size=SLIDE_SIZE, options={"g": "24"})
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    handler = ShotsHandler(ShotsConfig(), FramesConfig(mode="keyframes", interval_seconds=0.5))
    result = handler.run(MovieJob("k", clip, tmp_path, (), context))
    assert result.frames_decoded == 4
    assert result.cut_seconds == (2.0,)
    assert result.cut_frames == (2,)  # the third keyframe
