"""Hard-cut detection on small grey thumbnails, one frame at a time, in constant memory.

A cut is where the picture's *structure* changes abruptly. Comparing structure
(normalised cross-correlation of luma thumbnails) rather than raw pixels means a flash, a
lighting change or a background that changes colour behind the same layout is not a cut,
and a fade (a smooth brightness ramp) never is either. A fade out to black and in to a
different picture is one shot boundary, placed where the new picture starts to appear.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Thumb = npt.NDArray[np.float32]

# Mean absolute luma change (0-255) below which a frame-to-frame change is never a cut.
MIN_CUT_DIFF = 8.0
# A cut's change must also stand this many times above the recent average change, so
# fast camera motion or a busy scene is not cut at every frame.
ADAPTIVE_RATIO = 3.0
ADAPTIVE_WINDOW = 15
# 1 - correlation of the two thumbnails: above this the layout of the picture changed.
MIN_STRUCTURE_CHANGE = 0.5
# A thumbnail with less luma spread than this has no structure (black, a flat colour).
FLAT_STD = 2.0
# Mean luma (video range starts at 16) below which a frame counts as black.
DARK_LUMA = 24.0
# Inside a black gap, changes below this are a still black picture, not a fade.
STILL_DIFF = 0.5
MIN_SHOT_SECONDS = 0.4


def structure_distance(a: Thumb, b: Thumb) -> float:
    """0 for the same layout whatever its brightness or contrast, up to 2 for inverted."""
    a_std, b_std = float(a.std()), float(b.std())
    if a_std < FLAT_STD or b_std < FLAT_STD:
        return 0.0 if a_std < FLAT_STD and b_std < FLAT_STD else 1.0
    corr = float(np.mean((a - a.mean()) * (b - b.mean()))) / (a_std * b_std)
    return 1.0 - corr


@dataclass
class _BlackGap:
    before: Thumb | None  # the last picture seen before the gap; None at the movie's start
    opened_by_cut: bool  # a hard cut led into the gap: the boundary is already recorded
    fade_in_start: int
    fade_in_time: float


class CutDetector:
    """Feed frames in decode order; `cuts` lists (frame index, seconds) of new shots."""

    def __init__(
        self,
        min_cut_diff: float = MIN_CUT_DIFF,
        min_shot_seconds: float = MIN_SHOT_SECONDS,
    ) -> None:
        self.min_cut_diff = min_cut_diff
        self.min_shot_seconds = min_shot_seconds
        self.cuts: list[tuple[int, float]] = []
        self._recent: deque[float] = deque(maxlen=ADAPTIVE_WINDOW)
        self._prev: Thumb | None = None
        self._gap: _BlackGap | None = None
        self._last_cut_time = float("-inf")

    def process(self, index: int, seconds: float, thumb: Thumb) -> float:
        """Take one frame; return its mean absolute change from the previous frame."""
        prev, self._prev = self._prev, thumb
        if prev is None:
            self._last_cut_time = seconds  # the movie's start bounds the first shot
            self._track_black(index, seconds, thumb, None, 0.0, cut=False)
            return 0.0
        diff = float(np.abs(thumb - prev).mean())
        cut = self._is_cut(diff, prev, thumb, seconds)
        if cut:
            self._add_cut(index, seconds)
        self._recent.append(diff)
        self._track_black(index, seconds, thumb, prev, diff, cut)
        return diff

    def _is_cut(self, diff: float, prev: Thumb, thumb: Thumb, seconds: float) -> bool:
        if diff < self.min_cut_diff or seconds - self._last_cut_time < self.min_shot_seconds:
            return False
        baseline = float(np.mean(self._recent)) if self._recent else 0.0
        if diff < ADAPTIVE_RATIO * (baseline + 1.0):
            return False
        return structure_distance(prev, thumb) >= MIN_STRUCTURE_CHANGE

    def _add_cut(self, index: int, seconds: float) -> None:
        self.cuts.append((index, seconds))
        self._last_cut_time = seconds

    def _track_black(
        self, index: int, seconds: float, thumb: Thumb, prev: Thumb | None, diff: float, cut: bool
    ) -> None:
        dark = float(thumb.mean()) < DARK_LUMA
        gap = self._gap
        if dark:
            if gap is None:
                self._gap = _BlackGap(prev, cut, index + 1, seconds)
            elif diff < STILL_DIFF:
                # Still black: the fade in, if any, starts after this frame.
                gap.fade_in_start, gap.fade_in_time = index + 1, seconds
            elif gap.fade_in_start == index:
                gap.fade_in_time = seconds
            return
        if gap is None:
            return
        self._gap = None
        if gap.fade_in_start == index:
            gap.fade_in_time = seconds
        if gap.opened_by_cut or cut or gap.before is None:
            return
        if structure_distance(gap.before, thumb) >= MIN_STRUCTURE_CHANGE:
            start = min(gap.fade_in_start, index)
            if gap.fade_in_time - self._last_cut_time >= self.min_shot_seconds:
                self._add_cut(start, gap.fade_in_time)
