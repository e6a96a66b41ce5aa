"""The shots stage on generated clips, and on the real clips in ../shared/media."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from daemon.config import Config, FramesConfig, ShotsConfig
from evaluation.scenes import checks, detect
from handlers.base import MovieJob, StageCancelledError, StageContext
from handlers.near_duplicates import NearDuplicateIndex
from handlers.registry import STAGES, StageServices
from handlers.shots import CANDIDATES_FOLDER, ShotKind, ShotList, ShotsHandler
from tests.conftest import SHARED_MEDIA
from tests.media import FPS, SIZE, textured, write_raw_h264, write_segments

Picture = Callable[[int], np.ndarray]


def write(path: Path, pictures: list[tuple[Picture, int]]) -> Path:
    return write_segments(path, pictures, size=SIZE, fps=FPS)


def run(path: Path, stop: threading.Event | None = None) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=stop or threading.Event())
    return ShotsHandler().run(MovieJob("k", path, path.parent, (), context))


def test_registered() -> None:
    config = Config()
    services = StageServices(NearDuplicateIndex(config.quality.duplicate_distance))
    handler = STAGES["shots"](config, services)
    assert isinstance(handler, ShotsHandler)


def test_three_segments_give_two_cuts_at_their_timestamps(tmp_path: Path) -> None:
    clip = write(tmp_path / "three.mp4", [(textured(1), 30), (textured(2), 36), (textured(3), 30)])
    result = run(clip)
    assert result.cut_frames == (30, 66)
    assert result.cut_seconds == pytest.approx((30 / FPS, 66 / FPS), abs=1e-3)
    assert result.shots[-1].end_seconds == pytest.approx(96 / FPS, abs=1e-3)


def test_one_continuous_shot_has_no_cut(tmp_path: Path) -> None:
    result = run(write(tmp_path / "one.mp4", [(textured(4, moving=True), 72)]))
    assert result.cut_frames == ()
    assert result.shots[0].end_frame == 72  # the stream's frames, decoded or not


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
    assert result.shots[-1].end_frame > 90  # decoding went on past the damage, to the end
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
        # Checked every 50 decoded frames: about half the stream's with B-frames.
        run(write(tmp_path / "long.mp4", [(textured(12), 150)]), stop)


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


def run_with(path: Path, frames: FramesConfig, crop: bool = True) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    handler = ShotsHandler(ShotsConfig(), frames, crop_letterbox=crop)
    return handler.run(MovieJob("k", path, path.parent, (), context))


def test_candidates_are_the_middle_of_a_static_shot_and_three_of_a_moving_one(
    tmp_path: Path,
) -> None:
    clip = write(
        tmp_path / "three.mp4",
        [(textured(20), 48), (textured(21, moving=True), 48), (textured(19), 6)],
    )
    result = run_with(clip, FramesConfig(min_shot_seconds=0.5))
    roles = [(c.shot, c.role.value) for c in result.candidates]
    # The last shot (a quarter of a second) is too short to give a frame.
    assert sorted(roles) == [(0, "middle"), (1, "end"), (1, "middle"), (1, "start")]
    folder = tmp_path / "movies" / "k" / CANDIDATES_FOLDER
    assert sorted(p.stem for p in folder.iterdir()) == sorted(c.name for c in result.candidates)
    for candidate in result.candidates:
        shot = result.shots[candidate.shot]
        assert shot.start_seconds <= candidate.seconds < shot.end_seconds
    assert result.sharpness.frames == result.frames_decoded and result.sharpness.median > 0


def test_a_rerun_replaces_the_candidates_of_an_interrupted_pass(tmp_path: Path) -> None:
    clip = write(tmp_path / "one.mp4", [(textured(22), 48)])
    stray = tmp_path / "movies" / "k" / CANDIDATES_FOLDER / "99-00-00.000.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half")
    run_with(clip, FramesConfig())
    assert not stray.exists()


def test_interval_mode_takes_the_sharpest_frame_of_each_interval(tmp_path: Path) -> None:
    clip = write(tmp_path / "long.mp4", [(textured(23, moving=True), 120)])  # 5 s
    result = run_with(clip, FramesConfig(mode="interval", interval_seconds=1.0))
    assert [int(c.seconds) for c in result.candidates] == [0, 1, 2, 3, 4]
    assert {c.role.value for c in result.candidates} == {"interval"}


def test_keyframes_mode_decodes_keyframes_only(tmp_path: Path) -> None:
    path = tmp_path / "gop.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"g": "24", "sc_threshold": "0"})
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        picture = textured(24, moving=True)
        for i in range(96):
            frame = av.VideoFrame.from_ndarray(picture(i), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    result = run_with(path, FramesConfig(mode="keyframes", interval_seconds=0.5))
    assert result.frames_decoded == 4
    assert [c.seconds for c in result.candidates] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert {c.role.value for c in result.candidates} == {"keyframe"}


def test_keyframes_of_a_raw_stream_keep_their_times(tmp_path: Path) -> None:
    # A raw H.264 stream has no timestamps; skipped frames must still count towards the time.
    raw = write_raw_h264(tmp_path / "raw.mp4", [(textured(26, moving=True), 96)], 24)
    result = run_with(raw, FramesConfig(mode="keyframes", interval_seconds=0.5))
    assert result.frames_decoded == 4
    assert [c.seconds for c in result.candidates] == pytest.approx([0.0, 1.0, 2.0, 3.0])


def test_letterbox_bars_are_found_and_cropped_from_the_candidates(tmp_path: Path) -> None:
    width, height = 320, 240
    picture = textured(25, size=(width, 180))

    def boxed(i: int) -> np.ndarray:
        frame = np.zeros((height, width, 3), np.uint8)
        frame[30:210] = picture(i)
        return frame

    clip = write_segments(tmp_path / "boxed.mp4", [(boxed, 72)], size=(width, height))
    result = run_with(clip, FramesConfig())
    assert (result.crop.top, result.crop.height) == (30, 180)
    assert (result.crop.left, result.crop.width) == (0, width)
    saved = tmp_path / "movies" / "k" / CANDIDATES_FOLDER / f"{result.candidates[0].name}.jpg"
    assert cv2.imread(str(saved)).shape[:2] == (180, width)
    uncropped = run_with(clip, FramesConfig(), crop=False)
    assert uncropped.crop.height == height
