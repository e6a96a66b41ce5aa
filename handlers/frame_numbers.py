"""Which frames the one decode pass decodes, and where each decoded frame lies in the stream.

Decoding only the reference frames (I, P and the B-frames others are predicted from) lets the
decoder drop the rest before any work is done on them: in a film encoded with B-frames that is
about half the frames, and half the pass's per-frame work with them. A hard cut is still seen:
at the frame where it falls when that one is decoded (x264 puts a reference frame there when
it sees the cut), else at the next decoded one, as many frames late as non-reference frames
lie in a row: one with libx264's defaults (B-pyramid), two in an IBBP encode (MPEG-2, MPEG-4
part 2). The cut detector judges a change across skipped frames with that in mind (see
shot_detection). A file with no such frames (MJPEG, intra-only, H.264 without B-frames, VP9 as
libvpx writes it) decodes every frame either way, with the same result.

Frame numbers count every frame of the stream, decoded or not, so a shot's first frame and the
dissolve finder's windows keep their meaning: the frames skipped between two decoded ones are
counted from the time between them, in units of the earlier frame's duration (from the
container; the stream's rate where it has none). When every frame is decoded the numbers are
the decoded frames' indices, as they always were.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FrameScope(enum.StrEnum):
    REFERENCE = "reference"  # frames other frames are predicted from; the rest are skipped
    EVERY = "every"


@dataclass
class _Last:
    number: int
    seconds: float
    duration: float


class FrameNumbers:
    """Numbers decoded frames, in decode-pass order, by their place among all the stream's."""

    def __init__(self, scope: FrameScope, rate: float) -> None:
        self.scope = scope
        self.rate = rate  # the stream's frames per second; 0 when unknown
        self._last: _Last | None = None

    def next(self, seconds: float, duration: float) -> int:
        """The number of the frame decoded next, shown at `seconds` for `duration` seconds."""
        last = self._last
        number = 0 if last is None else last.number + self._step(last, seconds)
        self._last = _Last(number, seconds, duration)
        return number

    def _step(self, last: _Last, seconds: float) -> int:
        if self.scope is FrameScope.EVERY:
            return 1
        frame = last.duration or (1.0 / self.rate if self.rate > 0 else 0.0)
        if frame <= 0.0:
            return 1
        return max(1, round((seconds - last.seconds) / frame))

    @property
    def end(self) -> int:
        """The number after the last frame: the stream's frame count as far as decoded."""
        return 0 if self._last is None else self._last.number + 1
