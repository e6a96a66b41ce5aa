"""Hard-cut detection on small grey thumbnails, one frame at a time, in constant memory.

A cut is where the picture's *structure* changes abruptly. Comparing structure
(normalised cross-correlation of luma thumbnails) rather than raw pixels means a flash, a
lighting change or a background that changes colour behind the same layout is not a cut,
and a fade (a smooth brightness ramp) never is either. A fade out to black and in to a
different picture is one shot boundary, placed where the new picture starts to appear.
Both the change and the structure are judged on the frames' content area (see
layout_change): uniform borders around two pictures would make them look alike.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from handlers.dissolves import DissolveFinder, Framed
from handlers.layout_change import (
    Area,
    Thumb,
    content_area,
    content_change,
    detail_distance,
    shared_area,
)

# Mean absolute luma change (0-255) below which a frame-to-frame change is never a cut.
MIN_CUT_DIFF = 8.0
# A cut's change must also stand this many times above the recent average change, so
# fast camera motion or a busy scene is not cut at every frame.
ADAPTIVE_RATIO = 3.0
ADAPTIVE_WINDOW = 15  # frames of the stream, decoded or not
# 1 - correlation of the two thumbnails: above this the layout of the picture changed.
MIN_STRUCTURE_CHANGE = 0.5
# The same for the pictures' detail (see layout_change), which pictures framed alike differ in.
MIN_DETAIL_CHANGE = 0.4
# A thumbnail with less luma spread than this has no structure (black, a flat colour).
FLAT_STD = 2.0
# Mean luma (video range starts at 16) below which a frame counts as black.
DARK_LUMA = 24.0
# Inside a black gap, changes below this are a still black picture, not a fade.
STILL_DIFF = 0.5
MIN_SHOT_SECONDS = 0.4
# Luma spread from which a picture is clear enough to compare across a black gap: a dim
# frame of a fade has lost its detail to the encoder, so both sides are taken clear.
CLEAR_STD = 16.0
# A fade in still changing less than this a frame has settled, clear or not.
SETTLED_DIFF = 1.0
# A cut seen across frames the decoder skipped (see frame_numbers) is only a cut if the next
# step changes less than this share of it: a change that goes on is motion (a pan starting).
SUSTAINED_SHARE = 0.75


def structure_distance(a: Thumb, b: Thumb) -> float:
    """0 for the same layout whatever its brightness or contrast, up to 2 for inverted."""
    a_std, b_std = float(a.std()), float(b.std())
    if a_std < FLAT_STD or b_std < FLAT_STD:
        return 0.0 if a_std < FLAT_STD and b_std < FLAT_STD else 1.0
    corr = float(np.mean((a - a.mean()) * (b - b.mean()))) / (a_std * b_std)
    return 1.0 - corr


def different_pictures(a: Thumb, b: Thumb) -> bool:
    """Layout or detail changed: not the same picture relit, flashed or slightly moved."""
    if structure_distance(a, b) >= MIN_STRUCTURE_CHANGE:
        return True
    return detail_distance(a, b, structure_distance) >= MIN_DETAIL_CHANGE


@dataclass(frozen=True)
class _Unsure:
    """A cut across skipped frames, waiting for the next step to tell it from motion."""

    index: int
    seconds: float
    change: float


@dataclass
class _BlackGap:
    before: Thumb | None  # the last clear picture before the gap; None at the movie's start
    opened_by_cut: bool  # a hard cut led into the gap: the boundary is already recorded
    fade_in_start: int
    fade_in_time: float


def _clear(thumb: Thumb) -> bool:
    """A picture to compare: neither dark nor faded to a flat grey."""
    return float(thumb.mean()) >= DARK_LUMA and float(thumb.std()) >= CLEAR_STD


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
        # (frame number, change spread per frame: see process).
        self._recent: deque[tuple[int, float]] = deque()
        self._prev: Thumb | None = None
        self._prev_area: Area | None = None
        self._gap: _BlackGap | None = None
        self._clear: Thumb | None = None  # the last clear picture (or a shot's first)
        self._last_cut_time = float("-inf")
        self._last_cut_index = -1
        self._prev_number = 0
        self._unsure: _Unsure | None = None
        self._dissolves = DissolveFinder(different_pictures, _clear)

    def process(
        self,
        index: int,
        seconds: float,
        thumb: Thumb,
        frame: object = None,
        number: int | None = None,
    ) -> float:
        """Take one frame; return its mean absolute change from the previous frame. The
        thumbnail is all this detector reads of it (see ShotDetector)."""
        number = index if number is None else number
        spanned, self._prev_number = number - self._prev_number, number
        prev, self._prev = self._prev, thumb
        area = content_area(thumb)
        prev_area, self._prev_area = self._prev_area, area
        if prev is None:
            self._last_cut_time = seconds  # the movie's start bounds the first shot
            self._track_black(index, seconds, thumb, 0.0, cut=False)
            self._keep_if_clear(thumb, cut=True)
            return 0.0
        diff = float(np.abs(thumb - prev).mean())
        shared = shared_area(prev_area, area, thumb.shape)
        change = content_change(prev, thumb, shared)
        self._settle(change, prev)
        while self._recent and self._recent[0][0] < number - ADAPTIVE_WINDOW:
            self._recent.popleft()
        # Across skipped frames a change may be several frames' changes in one: spread over
        # them (as within-shot change grows: their square root), it stands against the recent
        # changes spread the same way. Unspread, a fast pan's two-frame changes hid the cut
        # into a still shot (tests/daemon/test_frame_records.py).
        spread = change / math.sqrt(max(1, spanned))
        cut = self._is_cut(change, spread, shared.of(prev), shared.of(thumb), seconds)
        if cut and spanned > 1:
            self._unsure, cut = _Unsure(index, seconds, change), False
        elif cut:
            self._add_cut(index, seconds)
        self._recent.append((number, spread))
        self._track_black(index, seconds, thumb, diff, cut)
        self._keep_if_clear(thumb, cut)
        self._find_dissolve(Framed(index, seconds, thumb, number))
        return diff

    def _settle(self, change: float, cut_frame: Thumb) -> None:
        """Judge the unsure cut of the step before by this step's `change`."""
        unsure, self._unsure = self._unsure, None
        if unsure is None or change >= SUSTAINED_SHARE * unsure.change:
            return
        self._add_cut(unsure.index, unsure.seconds)
        self._clear = cut_frame  # as a cut's frame always is
        if self._gap is not None and self._gap.fade_in_start == unsure.index + 1:
            self._gap.opened_by_cut = True  # the cut led into this black gap

    def _find_dissolve(self, frame: Framed) -> None:
        middle = self._dissolves.offer(frame, self._last_cut_index)
        if middle is not None and middle.seconds - self._last_cut_time >= self.min_shot_seconds:
            self._add_cut(middle.index, middle.seconds)

    def finish(self) -> None:
        """A cut unsure at the movie's last frame stands: no motion followed it."""
        if self._unsure is not None:
            self._add_cut(self._unsure.index, self._unsure.seconds)
            self._unsure = None

    def _keep_if_clear(self, thumb: Thumb, cut: bool) -> None:
        if cut or float(thumb.std()) >= CLEAR_STD:
            self._clear = thumb

    def _is_cut(
        self, diff: float, spread: float, prev: Thumb, thumb: Thumb, seconds: float
    ) -> bool:
        """`diff`: the change from the frame decoded before; `spread`: the same per frame."""
        if diff < self.min_cut_diff or seconds - self._last_cut_time < self.min_shot_seconds:
            return False
        baseline = float(np.mean([c for _, c in self._recent])) if self._recent else 0.0
        if spread < ADAPTIVE_RATIO * (baseline + 1.0):
            return False
        return different_pictures(prev, thumb)

    def _add_cut(self, index: int, seconds: float) -> None:
        self.cuts.append((index, seconds))
        self._last_cut_time = seconds
        self._last_cut_index = index

    def _track_black(
        self, index: int, seconds: float, thumb: Thumb, diff: float, cut: bool
    ) -> None:
        dark = float(thumb.mean()) < DARK_LUMA
        gap = self._gap
        if dark:
            if gap is None:
                self._gap = _BlackGap(self._clear, cut, index + 1, seconds)
            elif diff < STILL_DIFF:
                # Still black: the fade in, if any, starts after this frame.
                gap.fade_in_start, gap.fade_in_time = index + 1, seconds
            elif gap.fade_in_start == index:
                gap.fade_in_time = seconds
            return
        if gap is None:
            return
        if gap.fade_in_start == index:
            gap.fade_in_time = seconds
        if gap.opened_by_cut or cut or gap.before is None:
            self._gap = None
            return
        if float(thumb.std()) < CLEAR_STD and diff >= SETTLED_DIFF:
            return  # still fading in: compare once the picture is clear
        self._gap = None
        before = shared_area(content_area(gap.before), content_area(thumb), thumb.shape)
        if different_pictures(before.of(gap.before), before.of(thumb)):
            start = min(gap.fade_in_start, index)
            if gap.fade_in_time - self._last_cut_time >= self.min_shot_seconds:
                self._add_cut(start, gap.fade_in_time)
