"""Whether two frames show a different picture, judged on their content area only.

Uniform borders (letterbox bars, a photo centred on black or grey) make any two frames
look alike to a whole-frame comparison, so both the luma change and the layout test look at
the area either frame fills with picture. Two pictures framed alike (two close-ups, two
portraits) share their coarse layout too, so a second test compares their detail (the
thumbnail less its local mean), allowing for a small camera move: a flash or a lighting
change keeps the detail, a different picture does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Thumb = npt.NDArray[np.float32]

# A border line's luma spread, and how far its mean may lie from the frame's edge colour.
BORDER_STD = 4.0
BORDER_LEVELS = 10.0
# Detail is the thumbnail less its mean over this many pixels around.
DETAIL_KERNEL = 5
# How far (thumbnail pixels) the picture may have moved between two frames of one shot.
MAX_SHIFT = 6


@dataclass(frozen=True)
class Area:
    """Rows [top, bottom) and columns [left, right) of a thumbnail."""

    top: int
    bottom: int
    left: int
    right: int

    def union(self, other: Area) -> Area:
        return Area(
            min(self.top, other.top),
            max(self.bottom, other.bottom),
            min(self.left, other.left),
            max(self.right, other.right),
        )

    def of(self, thumb: Thumb) -> Thumb:
        return thumb[self.top : self.bottom, self.left : self.right]


def content_area(thumb: Thumb) -> Area | None:
    """The thumbnail without its uniform borders; None when it is uniform as a whole."""
    edge = float(np.median(np.concatenate([thumb[0], thumb[-1], thumb[:, 0], thumb[:, -1]])))
    rows = _picture_lines(thumb, edge, axis=1)
    cols = _picture_lines(thumb, edge, axis=0)
    if not rows.any() or not cols.any():
        return None
    top, bottom = _span(rows)
    left, right = _span(cols)
    return Area(top, bottom, left, right)


def _picture_lines(thumb: Thumb, edge: float, axis: int) -> npt.NDArray[np.bool_]:
    uniform = thumb.std(axis=axis) <= BORDER_STD
    near_edge = np.abs(thumb.mean(axis=axis) - edge) <= BORDER_LEVELS
    picture: npt.NDArray[np.bool_] = ~(uniform & near_edge)
    return picture


def _span(picture: npt.NDArray[np.bool_]) -> tuple[int, int]:
    first = int(np.argmax(picture))
    last = len(picture) - int(np.argmax(picture[::-1]))
    return first, last


def shared_area(a: Area | None, b: Area | None, shape: tuple[int, ...]) -> Area:
    """The area either frame fills; the whole thumbnail when neither has any picture."""
    if a is not None and b is not None:
        return a.union(b)
    return a or b or Area(0, shape[0], 0, shape[1])


def content_change(a: Thumb, b: Thumb, area: Area) -> float:
    """Mean absolute luma change (0-255) inside the area."""
    return float(np.abs(area.of(b) - area.of(a)).mean())


def detail_distance(a: Thumb, b: Thumb, distance: Callable[[Thumb, Thumb], float]) -> float:
    """`distance` between the two pictures' detail at the shift that fits best."""
    detail_a, detail_b = detail(a), detail(b)
    height, width = a.shape
    best = 2.0
    for dy in range(-MAX_SHIFT, MAX_SHIFT + 1):
        for dx in range(-MAX_SHIFT, MAX_SHIFT + 1):
            rows, moved_rows = _overlap(dy, height)
            cols, moved_cols = _overlap(dx, width)
            if rows.stop - rows.start < height // 2 or cols.stop - cols.start < width // 2:
                continue
            best = min(best, distance(detail_a[rows, cols], detail_b[moved_rows, moved_cols]))
    return best


def detail(thumb: Thumb) -> Thumb:
    """The thumbnail less its local mean: what two pictures framed alike differ in."""
    local_mean = cv2.blur(thumb, (DETAIL_KERNEL, DETAIL_KERNEL))
    detail: Thumb = np.subtract(thumb, local_mean, dtype=np.float32)
    return detail


def _overlap(shift: int, size: int) -> tuple[slice, slice]:
    """Where a picture and its copy moved by `shift` overlap, in each of the two."""
    return slice(max(0, -shift), size - max(0, shift)), slice(max(0, shift), size + min(0, shift))
