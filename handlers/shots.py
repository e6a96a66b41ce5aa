"""`shots`: one decode pass over the movie finds its shots and whether each one moves.

Timestamps come from each frame's PTS, never from counting frames, so variable-frame-rate
files come out right. Only a small grey thumbnail per frame is looked at and nothing is
kept but per-frame numbers, so memory stays flat however long the movie is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import av
import numpy as np
import numpy.typing as npt

from handlers.base import MovieJob, RejectedInputError
from handlers.shot_detection import MIN_CUT_DIFF, MIN_SHOT_SECONDS, CutDetector

# Shots whose mean frame-to-frame luma change (0-255) is below this are static.
STATIC_MOTION_THRESHOLD = 1.5
# Thumbnail width: enough for layout and motion, small enough that swscale costs little.
THUMB_WIDTH = 96
PROGRESS_EVERY_FRAMES = 50
# 8-bit pixel formats whose first plane is luma: read it in place, skipping swscale.
LUMA_PLANE_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p"}
    | {"yuv440p", "yuvj440p", "nv12", "nv21", "gray"}
)


class ShotKind(enum.StrEnum):
    STATIC = "static"
    MOVING = "moving"


@dataclass(frozen=True)
class Shot:
    index: int
    start_seconds: float
    end_seconds: float
    start_frame: int  # decoded-frame index, not a nominal frame number
    end_frame: int  # exclusive
    kind: ShotKind
    mean_motion: float


@dataclass(frozen=True)
class ShotList:
    shots: tuple[Shot, ...]
    frames_decoded: int
    frames_skipped: int  # packets that failed to decode and were passed over

    @property
    def cut_seconds(self) -> tuple[float, ...]:
        return tuple(shot.start_seconds for shot in self.shots[1:])

    @property
    def cut_frames(self) -> tuple[int, ...]:
        return tuple(shot.start_frame for shot in self.shots[1:])


@dataclass
class _Scan:
    """What the decode pass leaves behind: per-frame times and motion, nothing more."""

    times: list[float]
    motion: list[float]
    cuts: list[tuple[int, float]]
    skipped: int
    end_seconds: float


class ShotsHandler:
    name: ClassVar[str] = "shots"

    def __init__(
        self,
        static_motion_threshold: float = STATIC_MOTION_THRESHOLD,
        min_cut_diff: float = MIN_CUT_DIFF,
        min_shot_seconds: float = MIN_SHOT_SECONDS,
    ) -> None:
        self.static_motion_threshold = static_motion_threshold
        self.min_cut_diff = min_cut_diff
        self.min_shot_seconds = min_shot_seconds

    def run(self, job: MovieJob) -> ShotList:
        try:
            container = av.open(str(job.source))
        except (av.FFmpegError, OSError) as exc:
            raise RejectedInputError(f"not a playable video: {exc}") from exc
        with container:
            if not container.streams.video:
                raise RejectedInputError("no video stream")
            scan = self._scan(container, job)
        if not scan.times:
            raise RejectedInputError("no frame of the video stream decodes")
        job.context.progress(1.0)
        return ShotList(self._shots(scan), len(scan.times), scan.skipped)

    def _scan(self, container: Any, job: MovieJob) -> _Scan:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width = int(stream.codec_context.width) or THUMB_WIDTH
        height = int(stream.codec_context.height) or THUMB_WIDTH
        thumb_h = max(2, round(THUMB_WIDTH * height / width / 2) * 2)
        step = max(1, width // THUMB_WIDTH)
        expected = job.video.frame_count if job.video else int(stream.frames)
        detector = CutDetector(self.min_cut_diff, self.min_shot_seconds)
        scan = _Scan([], [], detector.cuts, 0, 0.0)
        for frame in _decode_skipping_errors(container, stream, scan):
            seconds = _frame_seconds(frame, scan.times)
            grey = _luma_thumbnail(frame, step, thumb_h)
            scan.motion.append(detector.process(len(scan.times), seconds, grey))
            scan.times.append(seconds)
            scan.end_seconds = seconds + _frame_duration(frame)
            if len(scan.times) % PROGRESS_EVERY_FRAMES == 0:
                job.context.check_cancelled()
                if expected:
                    job.context.progress(len(scan.times) / expected)
        return scan

    def _shots(self, scan: _Scan) -> tuple[Shot, ...]:
        starts = [0, *(index for index, _ in scan.cuts)]
        ends = [*starts[1:], len(scan.times)]
        shots = []
        for number, (start, end) in enumerate(zip(starts, ends, strict=True)):
            # The first frame's change is the cut itself, not motion within the shot.
            inside = scan.motion[start + 1 : end]
            mean_motion = float(np.mean(inside)) if inside else 0.0
            kind = (
                ShotKind.STATIC if mean_motion < self.static_motion_threshold else ShotKind.MOVING
            )
            end_seconds = scan.times[end] if end < len(scan.times) else scan.end_seconds
            shots.append(
                Shot(
                    index=number,
                    start_seconds=round(scan.times[start], 4),
                    end_seconds=round(end_seconds, 4),
                    start_frame=start,
                    end_frame=end,
                    kind=kind,
                    mean_motion=round(mean_motion, 3),
                )
            )
        return tuple(shots)


def _decode_skipping_errors(container: Any, stream: Any, scan: _Scan) -> Any:
    """Yield decoded frames; a packet that fails to decode is counted and passed over."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:
            # The demuxer cannot go on past damage: keep what was decoded so far.
            scan.skipped += 1
            return
        try:
            frames = stream.decode(packet)
        except av.FFmpegError:
            scan.skipped += 1
            continue
        yield from frames


def _luma_thumbnail(frame: Any, step: int, thumb_h: int) -> npt.NDArray[np.float32]:
    if frame.format.name in LUMA_PLANE_FORMATS:
        # Every step-th luma sample: about three times cheaper than a swscale resize, and
        # aliasing does not matter for frame-to-frame statistics.
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return luma[::step, : plane.width : step].astype(np.float32)
    thumb = frame.reformat(width=THUMB_WIDTH, height=thumb_h, format="gray")
    return np.asarray(thumb.to_ndarray(), dtype=np.float32)


def _frame_seconds(frame: Any, times: list[float]) -> float:
    if frame.time is not None:
        return float(frame.time)
    # No PTS (rare raw streams): step on from the previous frame rather than invent a rate.
    return times[-1] + _frame_duration(frame) if times else 0.0


def _frame_duration(frame: Any) -> float:
    duration = getattr(frame, "duration", None)
    if duration and frame.time_base:
        return float(duration * frame.time_base)
    return 0.0
