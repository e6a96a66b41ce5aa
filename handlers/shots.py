"""`shots`: the movie's one decode pass: its shots, its sharpness, its frame candidates.

Every frame is decoded at most once, here (only the reference frames by default: see
frame_numbers and `shots.decode`). Besides the cuts and each shot's motion, the pass keeps
the movie's sharpness distribution and writes the candidate frames (see frame_capture) that
the `frames` stage chooses from, so no later stage decodes the movie again.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import shutil
from dataclasses import dataclass
from typing import Any, ClassVar

import av

from daemon.config import FramesConfig, ShotsConfig
from handlers.base import MovieJob, RejectedInputError
from handlers.decode_pass import (
    DecodePass,
    PassOutcome,
    PassSettings,
    ShotDetector,
    shot_motion,
)
from handlers.decoding import open_video
from handlers.frame_capture import Candidate, CandidateWriter
from handlers.frame_numbers import FrameScope
from handlers.letterbox import CropBox, detect_letterbox
from handlers.sharpness_spread import SharpnessSpread
from handlers.shot_detection import CutDetector
from handlers.transnet import TransNetDetector, load_model

CANDIDATES_FOLDER = "candidates"


class ShotKind(enum.StrEnum):
    STATIC = "static"
    MOVING = "moving"


@dataclass(frozen=True)
class Shot:
    index: int
    start_seconds: float
    end_seconds: float
    start_frame: int  # among all the stream's frames, decoded or not (see frame_numbers)
    end_frame: int  # exclusive
    kind: ShotKind
    mean_motion: float

    @property
    def seconds(self) -> float:
        return self.end_seconds - self.start_seconds


@dataclass(frozen=True)
class ShotList:
    shots: tuple[Shot, ...]
    frames_decoded: int
    frames_skipped: int  # packets that failed to decode and were passed over
    mode: str  # shots | interval | keyframes (keyframes: cuts only to the nearest keyframe)
    crop: CropBox
    sharpness: SharpnessSpread
    candidates: tuple[Candidate, ...]
    # Which frames were decoded: reference only where the decoder skipped the rest (never in
    # keyframes mode, which decodes keyframes only, nor under decode_pass.MIN_SKIPPING_FPS).
    # Results stored before the setting existed decoded every frame.
    decode: FrameScope = FrameScope.EVERY

    @property
    def stream_frames(self) -> int:
        """The stream's frames, decoded or not: a speed in frames/s is in these."""
        return self.shots[-1].end_frame if self.shots else 0

    @property
    def cut_seconds(self) -> tuple[float, ...]:
        return tuple(shot.start_seconds for shot in self.shots[1:])

    @property
    def cut_frames(self) -> tuple[int, ...]:
        return tuple(shot.start_frame for shot in self.shots[1:])


class ShotsHandler:
    name: ClassVar[str] = "shots"
    result_type: ClassVar[type] = ShotList

    def __init__(
        self,
        shots: ShotsConfig | None = None,
        frames: FramesConfig | None = None,
        crop_letterbox: bool = True,
    ) -> None:
        self.config = shots or ShotsConfig()
        self.frames = frames or FramesConfig()
        self.crop_letterbox = crop_letterbox
        self._model: Any = None

    def prepare(self) -> None:
        """Load the network's weights now (for the chosen detector), not at the first movie."""
        if self.config.detector == "transnetv2" and self._model is None:
            self._model = load_model()

    def run(self, job: MovieJob) -> ShotList:
        try:
            container = open_video(str(job.source))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise RejectedInputError(f"not a playable video: {exc}") from exc
        if self._scope().value != self.config.decode:
            job.context.log.info(
                "shots.decode: every frame is decoded, not reference frames only: "
                "transnetv2 reads every frame"
            )
        folder = job.movie_dir / CANDIDATES_FOLDER
        # Candidates of an earlier, interrupted pass: this pass writes them all again.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with container:
            crop = self._crop(container, job)
            with CandidateWriter(folder, crop, self.frames.jpeg_quality) as writer:
                scan = self._pass(writer).run(container, job)
                candidates = writer.finish()
        if not scan.times:
            raise RejectedInputError("no frame of the video stream decodes")
        shots = self._shots(scan)
        job.context.progress(1.0)
        return ShotList(
            shots=shots,
            frames_decoded=len(scan.times),
            frames_skipped=scan.damage.skipped,
            mode=self.frames.mode,
            crop=crop,
            sharpness=scan.spread,
            candidates=_placed(candidates, shots),
            decode=scan.scope,
        )

    def _pass(self, writer: CandidateWriter) -> DecodePass:
        settings = PassSettings(
            mode=self.frames.mode,
            interval_seconds=self.frames.interval_seconds,
            static_motion_threshold=self.config.static_motion_threshold,
            min_shot_seconds=self.frames.min_shot_seconds,
            scope=self._scope(),
        )
        return DecodePass(self._detector(), writer, settings)

    def _scope(self) -> FrameScope:
        if self.config.detector == "transnetv2":
            return FrameScope.EVERY  # see ShotsConfig.decode
        return FrameScope(self.config.decode)

    def _detector(self) -> ShotDetector:
        if self.frames.mode == "keyframes":
            # Keyframes lie seconds apart: no network reads them as a sequence of frames.
            return CutDetector(self.config.min_cut_change, 0.0)
        if self.config.detector == "transnetv2":
            self.prepare()  # once per handler: loading takes ~2 s
            return TransNetDetector(self._model, self.config.min_shot_seconds)
        return CutDetector(self.config.min_cut_change, self.config.min_shot_seconds)

    def _crop(self, container: Any, job: MovieJob) -> CropBox:
        stream = container.streams.video[0]
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if not self.crop_letterbox:
            return CropBox(0, 0, width, height)
        duration = job.video.duration_seconds if job.video else float(container.duration or 0) / 1e6
        return detect_letterbox(str(job.source), width, height, duration)

    def _shots(self, scan: PassOutcome) -> tuple[Shot, ...]:
        starts = [0, *(index for index, _ in scan.cuts)]
        ends = [*starts[1:], len(scan.times)]
        shots = []
        for number, (start, end) in enumerate(zip(starts, ends, strict=True)):
            mean_motion = shot_motion(scan.motion, start, end)
            static = mean_motion < self.config.static_motion_threshold
            end_seconds = scan.times[end] if end < len(scan.times) else scan.end_seconds
            end_number = scan.numbers[end] if end < len(scan.numbers) else scan.end_number
            shots.append(
                Shot(
                    index=number,
                    start_seconds=round(scan.times[start], 4),
                    end_seconds=round(end_seconds, 4),
                    start_frame=scan.numbers[start],
                    end_frame=end_number,
                    kind=ShotKind.STATIC if static else ShotKind.MOVING,
                    mean_motion=round(mean_motion, 3),
                )
            )
        return tuple(shots)


def _placed(candidates: list[Candidate], shots: tuple[Shot, ...]) -> tuple[Candidate, ...]:
    """Each candidate numbered with the shot its timestamp falls in, once all cuts are known."""
    starts = [shot.start_seconds for shot in shots]
    return tuple(
        dataclasses.replace(c, shot=max(0, bisect.bisect_right(starts, c.seconds + 1e-6) - 1))
        for c in candidates
    )
