"""The shots stage on generated clips, and on the real clips in ../shared/media."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from evaluation.scenes import checks, detect
from handlers.base import MovieJob, StageCancelledError, StageContext
from handlers.registry import STAGES
from handlers.shots import ShotKind, ShotList, ShotsHandler
from tests.conftest import SHARED_MEDIA

FPS = 24
SIZE = (160, 96)
Picture = Callable[[int], np.ndarray]


def textured(seed: int, moving: bool = False) -> Picture:
    """Smooth blobs (a real picture's layout, not noise), drifting when `moving`."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(6, 10, 3), dtype=np.uint8)
    base = small.repeat(16, axis=0).repeat(16, axis=1)
    return lambda i: np.roll(base, i * 2 if moving else 0, axis=1)


def write(path: Path, pictures: list[tuple[Picture, int]]) -> Path:
    """Concatenate (picture, frame count) segments into one H.264 clip."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        pts = 0
        for picture, count in pictures:
            for i in range(count):
                frame = av.VideoFrame.from_ndarray(picture(i), format="rgb24")
                frame.pts = pts
                pts += 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def run(path: Path, stop: threading.Event | None = None) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=stop or threading.Event())
    return ShotsHandler().run(MovieJob("k", path, path.parent, None, context))


def test_registered() -> None:
    assert STAGES["shots"] is ShotsHandler


def test_three_segments_give_two_cuts_at_their_timestamps(tmp_path: Path) -> None:
    clip = write(tmp_path / "three.mp4", [(textured(1), 30), (textured(2), 36), (textured(3), 30)])
    result = run(clip)
    assert result.cut_frames == (30, 66)
    assert result.cut_seconds == pytest.approx((30 / FPS, 66 / FPS), abs=1e-3)
    assert result.shots[-1].end_seconds == pytest.approx(96 / FPS, abs=1e-3)


def test_one_continuous_shot_has_no_cut(tmp_path: Path) -> None:
    result = run(write(tmp_path / "one.mp4", [(textured(4, moving=True), 72)]))
    assert result.cut_frames == ()
    assert result.frames_decoded == 72


def test_fade_to_black_and_back_is_not_a_cut(tmp_path: Path) -> None:
    picture = textured(5)

    def fade(i: int) -> np.ndarray:
        level = abs(24 - i) / 24  # bright, down to black at frame 24, back up
        return (picture(i) * level).astype(np.uint8)

    assert run(write(tmp_path / "fade.mp4", [(fade, 49)])).cut_frames == ()


def test_flash_is_not_a_cut(tmp_path: Path) -> None:
    picture = textured(6)

    def flash(i: int) -> np.ndarray:
        frame = picture(i).astype(np.int16)
        return np.clip(frame + (120 if i == 20 else 0), 0, 255).astype(np.uint8)

    assert run(write(tmp_path / "flash.mp4", [(flash, 40)])).cut_frames == ()


def test_static_and_moving_shots(tmp_path: Path) -> None:
    clip = write(tmp_path / "kinds.mp4", [(textured(7), 30), (textured(8, moving=True), 30)])
    result = run(clip)
    assert [shot.kind for shot in result.shots] == [ShotKind.STATIC, ShotKind.MOVING]
    assert result.shots[0].mean_motion < result.shots[1].mean_motion


def test_corrupt_bytes_in_the_middle_do_not_stop_the_stage(tmp_path: Path) -> None:
    clip = write(tmp_path / "good.mp4", [(textured(9, moving=True), 96)])
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(0).bytes(2000)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    result = run(broken)
    assert result.frames_decoded > 48
    assert result.shots


def test_variable_frame_rate_timestamps_come_from_pts(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.time_base = Fraction(1, 1000)
        pictures = [textured(10), textured(11)]
        for i in range(40):
            # 40 ms apart, then 100 ms apart after the cut: frame counts would lie.
            frame = av.VideoFrame.from_ndarray(pictures[i >= 20](i), format="rgb24")
            frame.pts = i * 40 if i < 20 else 800 + (i - 20) * 100
            frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    result = run(path)
    assert result.cut_seconds == pytest.approx((0.8,), abs=1e-3)


def test_cancellation_is_checked(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(StageCancelledError):
        run(write(tmp_path / "long.mp4", [(textured(12), 60)]), stop)


needs_media = pytest.mark.skipif(
    not SHARED_MEDIA.exists(), reason=f"real clips not found at {SHARED_MEDIA}"
)


@pytest.mark.media
@needs_media
@pytest.mark.parametrize("index", range(5))
def test_real_clips_match_their_ground_truth(index: int) -> None:
    check = checks(SHARED_MEDIA)[index]
    result, _ = detect(SHARED_MEDIA / check.clip)
    assert check.judge(result), (
        f"{check.clip}: expected {check.expected}, found {check.found(result)}"
    )
