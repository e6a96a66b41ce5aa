"""Generated slideshows: photo-like portraits shown one after another with hard cuts.

Every portrait is framed alike (a face-like oval in the middle of a darker, textured
background), which is the hard case for a layout test: two such pictures share their coarse
layout. They are shown full frame, or smaller and centred on a uniform black or grey ground.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from tests.media import Picture, write_segments

Image = npt.NDArray[np.uint8]
SLIDE_SIZE = (320, 180)


class Ground(enum.Enum):
    FULL_FRAME = None
    BLACK = 0
    GREY = 128


@dataclass(frozen=True)
class Slideshow:
    path: Path
    cut_frames: tuple[int, ...]  # the first frame of every photo after the first


def portrait(seed: int, size: tuple[int, int]) -> Image:
    """A head-and-shoulders photo: background, shoulders, face, hair; each seed its own."""
    width, height = size
    rng = np.random.default_rng(seed)
    coarse = rng.integers(20, 110, size=(4, 6, 3), dtype=np.uint8)
    picture = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    centre = (width // 2 + int(rng.integers(-width // 12, width // 12 + 1)), height // 2)
    shoulders = tuple(int(v) for v in rng.integers(40, 200, size=3))
    cv2.ellipse(picture, (centre[0], height), (width // 3, height // 3), 0, 180, 360, shoulders, -1)
    face = (int(width * rng.uniform(0.13, 0.18)), int(height * rng.uniform(0.28, 0.36)))
    skin = tuple(int(v) for v in rng.integers(150, 230, size=3))
    cv2.ellipse(picture, centre, face, 0, 0, 360, skin, -1)
    hair = tuple(int(v) for v in rng.integers(10, 90, size=3))
    cv2.ellipse(picture, centre, (face[0] + 3, face[1] + 3), 0, 190, 350, hair, -1)
    for side in (-1, 1):
        eye = (centre[0] + side * face[0] // 2, centre[1] - face[1] // 5)
        cv2.circle(picture, eye, max(2, face[0] // 8), (30, 30, 30), -1)
    grain = rng.integers(0, 24, size=(height, width, 1), dtype=np.uint8)
    return cv2.add(picture, np.repeat(grain, 3, axis=2))


def on_ground(photo: Image, ground: Ground, size: tuple[int, int]) -> Image:
    if ground is Ground.FULL_FRAME:
        return cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    width, height = size
    frame = np.full((height, width, 3), ground.value, np.uint8)
    top, left = (height - photo.shape[0]) // 2, (width - photo.shape[1]) // 2
    frame[top : top + photo.shape[0], left : left + photo.shape[1]] = photo
    return frame


def photo_size(seed: int, ground: Ground, size: tuple[int, int]) -> tuple[int, int]:
    """A centred photo of 55-80 % of the frame's height, portrait or landscape."""
    width, height = size
    if ground is Ground.FULL_FRAME:
        return size
    rng = np.random.default_rng(1000 + seed)
    photo_height = int(height * rng.uniform(0.55, 0.8)) // 2 * 2
    aspect = rng.choice([0.75, 1.0, 1.5])
    return min(width - 8, int(photo_height * aspect) // 2 * 2), photo_height


def write_slideshow(
    path: Path,
    ground: Ground,
    photos: int,
    first_seed: int = 0,
    frames_each: int = 24,
    size: tuple[int, int] = SLIDE_SIZE,
) -> Slideshow:
    segments: list[tuple[Picture, int]] = []
    for seed in range(first_seed, first_seed + photos):
        frame = on_ground(portrait(seed, photo_size(seed, ground, size)), ground, size)
        segments.append((lambda _i, f=frame: f, frames_each))
    write_segments(path, segments, size=size)
    cuts = tuple(frames_each * n for n in range(1, photos))
    return Slideshow(path, cuts)


@dataclass(frozen=True)
class Dissolve:
    path: Path
    first: int  # the first and last frame that blend the two pictures
    last: int


def write_dissolve(
    path: Path, ground: Ground, frames: int, before: int = 30, after: int = 30
) -> Dissolve:
    """One portrait dissolving into another over `frames` frames, held still either side."""
    first, second = (
        on_ground(portrait(seed, photo_size(seed, ground, SLIDE_SIZE)), ground, SLIDE_SIZE)
        for seed in (1, 2)
    )

    def picture(i: int) -> Image:
        share = min(1.0, max(0.0, (i - before + 1) / (frames + 1)))
        blend = (1 - share) * first.astype(np.float32) + share * second.astype(np.float32)
        return blend.astype(np.uint8)

    write_segments(path, [(picture, before + frames + after)], size=SLIDE_SIZE)
    return Dissolve(path, before, before + frames - 1)


def write_pan(path: Path, pixels_per_frame: int, frames: int = 72) -> Path:
    """One portrait panned across fast: every frame moved, none a new picture."""
    width, height = SLIDE_SIZE
    wide = portrait(5, (width + pixels_per_frame * frames, height))

    def pan(i: int) -> Image:
        offset = i * pixels_per_frame
        return np.ascontiguousarray(wide[:, offset : offset + width])

    return write_segments(path, [(pan, frames)], size=SLIDE_SIZE)


def write_flashes(path: Path, frames: int = 72) -> Path:
    """One portrait lit by a flash (two bright frames) every 12 frames: no new picture."""
    picture = on_ground(portrait(4, SLIDE_SIZE), Ground.FULL_FRAME, SLIDE_SIZE).astype(np.int16)

    def flash(i: int) -> Image:
        return np.clip(picture + (110 if i % 12 in (6, 7) else 0), 0, 255).astype(np.uint8)

    return write_segments(path, [(flash, frames)], size=SLIDE_SIZE)
