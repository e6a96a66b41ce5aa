"""A slideshow movie of labelled photos: each photo one segment of a few seconds, hard cuts.

Like the held-out film of issue 16: 1280x720, each photo centred on black or on grey (scaled
to 60-95 % of the frame, never enlarged more than twice, so a 150 px crop stays a small
picture rather than a smear), or, when it is landscape, filling the whole frame. H.264 from
PyAV, a keyframe every 2 s. The order, grounds, sizes and lengths come from one seed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from evaluation.identity_photos import LabelledPhoto
from handlers.image_measures import rgb_of_file

Picture = npt.NDArray[np.uint8]
GREY = 128
MAX_ENLARGEMENT = 2.0
FULL_FRAME_ASPECT = 1.25  # a photo at least this much wider than tall may fill the frame


class Ground(enum.StrEnum):
    BLACK = "black"
    GREY = "grey"
    FULL_FRAME = "full frame"


@dataclass(frozen=True)
class SlideshowSpec:
    width: int = 1280
    height: int = 720
    fps: int = 24
    seed: int = 16
    shortest_seconds: float = 2.0
    longest_seconds: float = 4.0


@dataclass(frozen=True)
class Segment:
    number: int  # 0 for the first photo shown
    photo: LabelledPhoto
    ground: Ground
    first_frame: int
    frames: int
    fps: int

    @property
    def start_seconds(self) -> float:
        return self.first_frame / self.fps

    @property
    def end_seconds(self) -> float:
        return (self.first_frame + self.frames) / self.fps

    def holds(self, seconds: float) -> bool:
        """Whether a frame at `seconds` is one of this segment's (half a frame either way)."""
        half = 0.5 / self.fps
        return self.start_seconds - half <= seconds < self.end_seconds - half


@dataclass(frozen=True)
class Slideshow:
    path: Path
    spec: SlideshowSpec
    segments: tuple[Segment, ...]


def plan_segments(
    photos: Sequence[LabelledPhoto], spec: SlideshowSpec, media: Path
) -> list[Segment]:
    """The photos shuffled by the seed, each with its ground and length (a photo drawn to fill
    the frame that is not landscape is shown on black instead)."""
    rng = np.random.default_rng(spec.seed)
    order = rng.permutation(len(photos))
    segments: list[Segment] = []
    first = 0
    for number, index in enumerate(order):
        seconds = rng.uniform(spec.shortest_seconds, spec.longest_seconds)
        frames = max(1, round(seconds * spec.fps))
        ground = Ground(rng.choice([g.value for g in Ground]))
        if ground is Ground.FULL_FRAME and not _landscape(media / photos[index].path):
            ground = Ground.BLACK
        segments.append(Segment(number, photos[index], ground, first, frames, spec.fps))
        first += frames
    return segments


def _landscape(path: Path) -> bool:
    with Image.open(path) as image:
        width, height = image.size
    return width >= FULL_FRAME_ASPECT * height


def compose(photo: Picture, ground: Ground, spec: SlideshowSpec, scale: float) -> Picture:
    """The frame showing `photo` on `ground`; `scale`: its share of the frame, letterboxed."""
    height, width = photo.shape[:2]
    if ground is Ground.FULL_FRAME:
        return _filling(photo, spec)
    fit = min(spec.width * scale / width, spec.height * scale / height, MAX_ENLARGEMENT)
    size = (max(2, round(width * fit) // 2 * 2), max(2, round(height * fit) // 2 * 2))
    shown = cv2.resize(photo, size, interpolation=cv2.INTER_AREA if fit < 1 else cv2.INTER_CUBIC)
    value = GREY if ground is Ground.GREY else 0
    frame = np.full((spec.height, spec.width, 3), value, np.uint8)
    top, left = (spec.height - size[1]) // 2, (spec.width - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = shown
    return frame


def _filling(photo: Picture, spec: SlideshowSpec) -> Picture:
    """Scaled to cover the frame, the overflow cut evenly from both sides."""
    height, width = photo.shape[:2]
    fit = max(spec.width / width, spec.height / height)
    size = (max(spec.width, round(width * fit)), max(spec.height, round(height * fit)))
    covered = cv2.resize(photo, size, interpolation=cv2.INTER_AREA if fit < 1 else cv2.INTER_CUBIC)
    top, left = (size[1] - spec.height) // 2, (size[0] - spec.width) // 2
    return np.ascontiguousarray(covered[top : top + spec.height, left : left + spec.width])


def write_slideshow(
    path: Path, media: Path, photos: Sequence[LabelledPhoto], spec: SlideshowSpec
) -> Slideshow:
    segments = plan_segments(photos, spec, media)
    rng = np.random.default_rng(spec.seed + 1)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=spec.fps, options={"crf": "18", "preset": "veryfast", "g": "48"}
        )
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, spec.fps)
        for segment in segments:
            photo = rgb_of_file(str(media / segment.photo.path))
            frame = compose(photo, segment.ground, spec, float(rng.uniform(0.6, 0.95)))
            yuv = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
            planes = yuv.to_ndarray()
            for offset in range(segment.frames):
                picture = av.VideoFrame.from_ndarray(planes, format="yuv420p")
                picture.pts = segment.first_frame + offset
                container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return Slideshow(path, spec, tuple(segments))
