"""Black bars, found once per movie from a few keyframes spread over its length.

A row or column is a bar when it is dark in every sampled picture that is not dark as a
whole; sampling keyframes by seeking costs a few dozen decoded frames even for a film.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from handlers.decoding import luma

SAMPLES = 6
# Mean luma of a bar line; video-range black is 16 and compression lifts it a little.
BAR_LUMA = 28.0
# A sample darker than this overall (a black frame, a night shot) says nothing about bars.
DARK_PICTURE = 40.0
# Bars thinner than this share of the picture are left alone (encoder edge rows).
MIN_BAR_SHARE = 0.02
MAX_BAR_SHARE = 0.4


@dataclass(frozen=True)
class CropBox:
    left: int
    top: int
    width: int
    height: int

    @property
    def is_full(self) -> bool:
        return self.left == 0 and self.top == 0


def detect_letterbox(path: str, width: int, height: int, duration: float) -> CropBox:
    full = CropBox(0, 0, width, height)
    bright = [g for g in _sample_keyframes(path, duration) if float(g.mean()) >= DARK_PICTURE]
    if not bright or bright[0].shape != (height, width):
        return full
    dark_rows = np.logical_and.reduce([g.mean(axis=1) <= BAR_LUMA for g in bright])
    dark_cols = np.logical_and.reduce([g.mean(axis=0) <= BAR_LUMA for g in bright])
    top, bottom = _bar_span(dark_rows)
    left, right = _bar_span(dark_cols)
    return CropBox(left, top, width - left - right, height - top - bottom)


def _bar_span(dark: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """Even-sized leading and trailing bars, or (0, 0) when too thin or too thick to be bars."""
    size = len(dark)
    lead = int(np.argmin(dark)) if not dark.all() else size
    trail = int(np.argmin(dark[::-1])) if not dark.all() else size
    lead, trail = lead - lead % 2, trail - trail % 2

    def plausible(bar: int) -> bool:
        return MIN_BAR_SHARE * size <= bar <= MAX_BAR_SHARE * size

    return (lead if plausible(lead) else 0), (trail if plausible(trail) else 0)


def _sample_keyframes(path: str, duration: float) -> list[npt.NDArray[np.uint8]]:
    try:
        container = av.open(path)
    except (av.FFmpegError, OSError):
        return []
    with container:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        # No frame threading here: it holds back output until several frames are queued,
        # which with keyframes only means demuxing several groups of pictures per sample.
        stream.codec_context.skip_frame = "NONKEY"
        samples = []
        for point in np.linspace(0.05, 0.95, SAMPLES) * max(duration, 0.0):
            picture = _keyframe_near(container, stream, float(point))
            if picture is not None:
                samples.append(picture)
        return samples


def _keyframe_near(container: Any, stream: Any, seconds: float) -> npt.NDArray[np.uint8] | None:
    try:
        container.seek(int(seconds * av.time_base))
        frame = next(container.decode(stream), None)
    except (av.FFmpegError, StopIteration):
        return None
    return None if frame is None else luma(frame).copy()
