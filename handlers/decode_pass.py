"""The one decode pass over a movie: cuts, motion, sharpness and frame candidates together.

Per frame it looks only at the luma plane, in place: a tiny thumbnail for the cut detector
and motion, a small working copy for sharpness. Full-size pictures are held only while they
may still become candidates (see frame_capture), so memory does not grow with the movie.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from handlers.base import MovieJob
from handlers.content_area import content_of
from handlers.decoding import (
    DecodeDamage,
    decode_keyframes,
    decode_skipping_errors,
    frame_duration,
    frame_seconds,
    skip_non_reference,
    stream_rate,
)
from handlers.decoding import luma as luma_of
from handlers.frame_capture import (
    CandidateRole,
    CandidateWriter,
    Held,
    IntervalReservoir,
    ShotReservoir,
    crop_of,
    roles_for_shot,
)
from handlers.frame_numbers import FrameNumbers, FrameScope
from handlers.image_measures import detail, sharpness, working_grey
from handlers.layout_change import Thumb
from handlers.sharpness_spread import EMPTY_SPREAD, SharpnessSpread, SpreadCounter

CaptureMode = Literal["shots", "interval", "keyframes"]
# Thumbnail width for cut detection: enough for layout and motion, cheap to compare.
THUMB_WIDTH = 96
PROGRESS_EVERY_FRAMES = 50


@dataclass
class PassOutcome:
    cuts: list[tuple[int, float]]
    times: array[float] = field(default_factory=lambda: array("d"))
    numbers: array[int] = field(default_factory=lambda: array("q"))  # see frame_numbers
    end_number: int = 0
    motion: array[float] = field(default_factory=lambda: array("d"))
    damage: DecodeDamage = field(default_factory=DecodeDamage)
    end_seconds: float = 0.0
    spread: SharpnessSpread = EMPTY_SPREAD
    scope: FrameScope = FrameScope.EVERY  # the frames this pass really decoded


# Skipping frames leaves half a film's frames: at 24 fps and up a step of 2-3 frames is still a
# tenth of a second, but at 10 fps (scenes/counter.mp4) it is a fifth, and a large change
# between two steps of a busy picture (its digits going from 9 to 10) passed for a cut.
MIN_SKIPPING_FPS = 20.0


@dataclass(frozen=True)
class PassSettings:
    mode: CaptureMode
    interval_seconds: float
    static_motion_threshold: float
    min_shot_seconds: float  # shots shorter than this give the `frames` stage no frame
    scope: FrameScope = FrameScope.EVERY


def shot_motion(motion: array[float], start: int, end: int) -> float:
    """Mean frame-to-frame change inside a shot; its first frame's change is the cut itself."""
    inside = motion[start + 1 : end]
    return sum(inside) / len(inside) if inside else 0.0


class ShotDetector(Protocol):
    """Takes every decoded frame in order; `cuts` grows with (frame index, seconds) of each
    new shot, possibly some frames after that shot started."""

    cuts: list[tuple[int, float]]

    def process(
        self, index: int, seconds: float, thumb: Thumb, frame: Any, number: int | None = None
    ) -> float:
        """Take one frame; return its mean absolute luma change from the previous one.
        `number` is its place among all the stream's frames (see frame_numbers)."""
        ...

    def finish(self) -> None:
        """The movie ended: record the cuts still undecided."""
        ...


class DecodePass:
    def __init__(
        self, detector: ShotDetector, writer: CandidateWriter, settings: PassSettings
    ) -> None:
        self.detector = detector
        self.writer = writer
        self.settings = settings
        self.interval = IntervalReservoir(settings.interval_seconds)
        self.reservoir: ShotReservoir | None = None
        self.shot_number = 0
        self.shot_start = 0  # decoded-frame index where the open shot starts
        self.counter = SpreadCounter()

    def run(self, container: Any, job: MovieJob) -> PassOutcome:
        stream = container.streams.video[0]
        width = int(stream.codec_context.width) or THUMB_WIDTH
        step = max(1, width // THUMB_WIDTH)
        expected = job.video.frame_count if job.video else int(stream.frames)
        out = PassOutcome(self.detector.cuts)
        keyframes = self.settings.mode == "keyframes"
        if keyframes:
            frames = decode_keyframes(container, stream, self.interval.seconds, out.damage)
        # Keyframes lie seconds apart and are numbered one after another, as they always were;
        # below MIN_SKIPPING_FPS every frame is decoded (see there).
        rate = stream_rate(stream)
        skipping = (
            not keyframes
            and self.settings.scope is FrameScope.REFERENCE
            and rate >= MIN_SKIPPING_FPS
        )
        if not keyframes:
            ignored = skip_non_reference(stream) if skipping else None
            frames = decode_skipping_errors(container, stream, out.damage, ignored)
        out.scope = FrameScope.REFERENCE if skipping else FrameScope.EVERY
        numbers = FrameNumbers(out.scope, rate)
        seconds: float | None = None
        frame = None
        for frame in frames:
            seconds = frame_seconds(frame, seconds)
            self._take(frame, seconds, numbers.next(seconds, frame_duration(frame)), step, out)
            if len(out.times) % PROGRESS_EVERY_FRAMES == 0:
                job.context.check_cancelled()
                if expected and not keyframes:
                    job.context.progress(0.95 * numbers.end / expected)
        if frame is not None and seconds is not None:
            out.end_seconds = seconds + frame_duration(frame)
        out.end_number = numbers.end
        cuts_before = len(self.detector.cuts)
        self.detector.finish()
        self._new_cuts(cuts_before, out)
        self._finish(out)
        out.spread = self.counter.spread()
        return out

    def _take(self, frame: Any, seconds: float, number: int, step: int, out: PassOutcome) -> None:
        full = luma_of(frame)
        cuts_before = len(self.detector.cuts)
        thumb = full[::step, ::step].astype(np.float32)
        change = self.detector.process(len(out.times), seconds, thumb, frame, number)
        # Motion is per frame of the stream, whatever the decoder skipped between two frames.
        spanned = number - out.numbers[-1] if out.numbers else 1
        out.motion.append(change / spanned)
        out.times.append(seconds)
        out.numbers.append(number)
        picture = content_of(working_grey(crop_of(full, self.writer.crop)))
        self.counter.add(sharpness(picture))
        self._new_cuts(cuts_before, out)
        self._offer(Held(seconds, detail(picture), frame))

    def _new_cuts(self, cuts_before: int, out: PassOutcome) -> None:
        # A learnt detector judges frames in batches: several cuts may arrive at once.
        for index, seconds in self.detector.cuts[cuts_before:]:
            self._cut_at(index, seconds, out)

    def _offer(self, held: Held) -> None:
        if self.settings.mode == "shots":
            if self.reservoir is None:
                self.reservoir = ShotReservoir(held.seconds)
            self.reservoir.offer(held)
            return
        finished = self.interval.offer(held)
        if finished is not None:
            self._write(finished, self._interval_role())

    def _cut_at(self, index: int, seconds: float, out: PassOutcome) -> None:
        """Close the shot that ends at `seconds`; a fade's cut may lie a few frames back."""
        if self.reservoir is not None:
            later = self.reservoir.split(seconds)
            self._close(self.reservoir, seconds, shot_motion(out.motion, self.shot_start, index))
            self.reservoir = later
        self.shot_number += 1
        self.shot_start = index

    def _close(self, reservoir: ShotReservoir, end: float, motion: float) -> None:
        # Only what `frames` can choose is written: JPEG encoding is most of the pass's cost.
        if end - reservoir.start < self.settings.min_shot_seconds:
            return
        roles = roles_for_shot(static=motion < self.settings.static_motion_threshold)
        for role, held in reservoir.picks(end):
            if role in roles:
                self.writer.write(held, role, self.shot_number)

    def _finish(self, out: PassOutcome) -> None:
        if self.reservoir is not None:
            motion = shot_motion(out.motion, self.shot_start, len(out.times))
            self._close(self.reservoir, out.end_seconds, motion)
            self.reservoir = None
        last = self.interval.flush()
        if last is not None:
            self._write(last, self._interval_role())

    def _write(self, held: Held, role: CandidateRole) -> None:
        self.writer.write(held, role, shot=-1)  # placed in its shot once all cuts are known

    def _interval_role(self) -> CandidateRole:
        is_keyframes = self.settings.mode == "keyframes"
        return CandidateRole.KEYFRAME if is_keyframes else CandidateRole.INTERVAL
