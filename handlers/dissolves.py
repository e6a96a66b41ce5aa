"""Dissolves: one picture blending into another over many frames, which no single frame's
change reveals (each frame differs from the last by a fraction of the two pictures' gap).

A window of the last few thumbnails (constant memory) is judged by its first, middle and
last frame: inside a dissolve the middle frame is a blend of the two ends, M = A + w (B - A)
with w well inside (0, 1), while the ends are different pictures. A pan or a zoom also ends
on a different picture, but its middle frame is the picture moved, not a blend of the ends,
so the fit leaves much of it unexplained; a slow one over a smooth picture fits, but its
last frame still holds the first one's detail, moved. The boundary is placed at the middle
frame. Not handled: a slow zoom over a smooth picture can still pass for a dissolve (one
false boundary in benchmarks.frames' 2-minute 1080p film clip, at frame 66).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from handlers.layout_change import Thumb, content_area, detail, shared_area

# Half a window, in frames of the stream (decoded or not, see frame_numbers): one and two
# seconds at film rates. The short window finds a dissolve soon after a cut (a window must
# not span one); the long one finds dissolves too long for the short one's ends to be
# different pictures yet (up to about four seconds).
HALF_WINDOWS = (24, 48)
# Decoded frames kept: the longest window when every frame is decoded; more of the stream
# when only reference frames are.
LONGEST = 2 * max(HALF_WINDOWS) + 1
# The middle frame's place on the line between the ends: a hard cut inside the window puts
# it at 0 or 1, a dissolve between.
MIN_BLEND = 0.2
MAX_BLEND = 0.8
# Share of the ends' difference the blend leaves unexplained: a dissolve leaves encoder
# noise only (measured 0.03-0.15 on generated dissolves; a fast pan leaves 0.6 and more,
# a slow pan over a smooth picture fits as well as a dissolve: see `panned`).
MAX_RESIDUAL = 0.3
# Ends this alike (mean absolute luma) are the same picture, whatever the fit says.
MIN_ENDS_CHANGE = 8.0
# A slow pan over a smooth picture moves it by a fraction of a thumbnail pixel a frame,
# which is a blend too; but its last frame holds its first one's detail, moved. Measured
# (best normalised correlation of the detail, the first frame's middle searched for in the
# last): slow pans in benchmarks.frames' film clips 0.83-0.93, dissolves 0.10-0.66.
PAN_MATCH = 0.75
PAN_MARGIN = 16  # thumbnail pixels the picture may have moved, either way


@dataclass(frozen=True)
class Framed:
    index: int  # among the decoded frames
    seconds: float
    thumb: Thumb
    number: int  # among all the stream's frames; `index` when every frame is decoded


def blend_fit(a: Thumb, middle: Thumb, b: Thumb) -> tuple[float, float]:
    """(w, residual): `middle` as a + w (b - a), and the share of |b - a| left unexplained."""
    gap = (b - a).ravel()
    step = (middle - a).ravel()
    gap_norm = float(np.dot(gap, gap))
    if gap_norm == 0.0:
        return 0.0, 1.0
    weight = float(np.dot(step, gap)) / gap_norm
    residual = float(np.linalg.norm(step - weight * gap)) / gap_norm**0.5
    return weight, residual


class DissolveFinder:
    """Feed every frame; `offer` returns the boundary (index, seconds) of a dissolve once."""

    def __init__(
        self, different: Callable[[Thumb, Thumb], bool], clear: Callable[[Thumb], bool]
    ) -> None:
        self._different = different
        self._clear = clear
        # The frames' thumbnails the pass made anyway: references, not copies.
        self._window: deque[Framed] = deque(maxlen=LONGEST)
        self._after_dissolve = 0  # the first frame a window may start at after a dissolve

    def offer(self, frame: Framed, last_cut_index: int) -> Framed | None:
        """Take the next frame; the dissolve's middle frame when a window shows one."""
        self._window.append(frame)
        for half in HALF_WINDOWS:
            if self._window[0].number > frame.number - 2 * half:
                return None
            first = self._at(frame.number - 2 * half)
            middle = self._at(frame.number - half)
            # A cut inside the window explains its change; a dissolve just found fits the
            # windows that follow it too, and is one boundary.
            if first.index < last_cut_index or first.number < self._after_dissolve:
                return None
            if self._is_dissolve(first.thumb, middle.thumb, frame.thumb):
                self._after_dissolve = middle.number + half
                return middle
        return None

    def _at(self, number: int) -> Framed:
        """The last decoded frame at or before frame `number` of the stream."""
        for framed in reversed(self._window):
            if framed.number <= number:
                return framed
        return self._window[0]

    def _is_dissolve(self, a: Thumb, middle: Thumb, b: Thumb) -> bool:
        # The fit first: it runs at every frame and is the cheapest test. Borders the three
        # frames share add nothing to it, so the whole thumbnails give the content's fit.
        weight, residual = blend_fit(a, middle, b)
        if not MIN_BLEND <= weight <= MAX_BLEND or residual > MAX_RESIDUAL:
            return False
        if not (self._clear(a) and self._clear(b)):
            return False  # fades through black are the black-gap test's
        area = shared_area(content_area(a), content_area(b), a.shape)
        a, b = area.of(a), area.of(b)
        if float(np.abs(b - a).mean()) < MIN_ENDS_CHANGE:
            return False
        return not panned(a, b) and self._different(a, b)  # the cheaper test first


def panned(a: Thumb, b: Thumb) -> bool:
    """`b` holds `a`'s detail moved by up to PAN_MARGIN pixels: one picture, panned."""
    margin = min(PAN_MARGIN, a.shape[0] // 4, a.shape[1] // 4)
    if margin < 1:
        return False
    middle = detail(a)[margin:-margin, margin:-margin]
    match = cv2.matchTemplate(detail(b), middle, cv2.TM_CCOEFF_NORMED)
    return float(match.max()) >= PAN_MATCH
