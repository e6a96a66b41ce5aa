"""The benchmark film's pictures: each shot's textured base picture, and each frame drawn
from it into one reused yuv420p buffer."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.film_plan import ShotPlan, fade_level, window

Plane = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Picture:
    y: Plane
    u: Plane
    v: Plane


def _smooth(
    rng: np.random.Generator, size: tuple[int, int], cell: int, low: float, high: float
) -> npt.NDArray[np.float32]:
    """Random values on a coarse grid, upscaled smoothly: blobs, the layout of a real picture."""
    width, height = size
    grid = rng.uniform(low, high, size=(max(2, height // cell), max(2, width // cell)))
    smooth = cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    return smooth.astype(np.float32, copy=False)


def base_picture(seed: int, size: tuple[int, int], frame_width: int) -> Picture:
    """Large blobs, finer texture and grain; feature sizes follow the frame, not the base."""
    rng = np.random.default_rng(seed)
    width, height = size
    luma = (
        _smooth(rng, size, frame_width // 8, 30, 210)
        + _smooth(rng, size, frame_width // 64, -16, 16)
        + rng.normal(0, 0.5, size=(height, width)).astype(np.float32)
    )
    half = (width // 2, height // 2)
    chroma = [_smooth(rng, half, frame_width // 16, 104, 152) for _ in range(2)]
    y, u, v = (np.clip(p, 16, 235).astype(np.uint8) for p in (luma, *chroma))
    return Picture(y, u, v)


class FrameCanvas:
    """One reused yuv420p buffer; each frame is cropped or resized from the shot's base."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.buffer = np.empty((height * 3 // 2, width), np.uint8)
        quarter = height // 4
        self.y = self.buffer[:height]
        self.u = self.buffer[height : height + quarter].reshape(height // 2, width // 2)
        self.v = self.buffer[height + quarter :].reshape(height // 2, width // 2)

    def draw(self, base: Picture, shot: ShotPlan, index: int) -> Plane:
        x, y, w, h = window(shot, index, self.size)
        self._fill(self.y, base.y[y : y + h, x : x + w])
        self._fill(self.u, base.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2])
        self._fill(self.v, base.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2])
        level = fade_level(shot, index)
        if level < 1.0:
            for plane, black in ((self.y, 16), (self.u, 128), (self.v, 128)):
                plane[...] = cv2.convertScaleAbs(plane, alpha=level, beta=black * (1 - level))
        return self.buffer

    @staticmethod
    def _fill(target: Plane, source: Plane) -> None:
        if source.shape == target.shape:
            np.copyto(target, source)
        else:
            size = (target.shape[1], target.shape[0])
            target[...] = cv2.resize(source, size, interpolation=cv2.INTER_LINEAR)
