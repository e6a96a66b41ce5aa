"""The picture inside a frame: the frame without the uniform borders around it, per frame.

The movie's letterbox crop (see letterbox) is one box for the whole movie; a slideshow of
photos of different sizes centred on black or grey, or a film that letterboxes only some
shots, has borders that change from frame to frame. Sharpness, brightness and flatness are
judged on what is left inside them, so a small sharp photo on black is not "blurred" and a
bright picture on dark bars is not "too dark".
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from handlers.letterbox import CropBox

Grey = npt.NDArray[np.uint8]

# A border pixel is within this many levels of the border's tone (compression noise).
BORDER_TOLERANCE = 12
# A border line has at least this share of its pixels at the border's tone.
BORDER_LINE_SHARE = 0.97
# Bands thinner than this share of the side are left alone (encoder edge rows).
MIN_BAND_SHARE = 0.02
# What is left must be at least this share of each side to be a picture: a line of text
# on black (a title card) is judged whole, as the flat frame it is.
MIN_PICTURE_SHARE = 0.15
# Opposite bands differ at most by this factor: bars and a centred picture are symmetric.
BAND_RATIO = 2.0
# A picture's outermost lines are mostly picture; text's are mostly the background.
EDGE_BORDER_SHARE = 0.5
# How far in (share of the box's side) a picture may take to become mostly picture: a photo
# whose dark hair or shadow runs into its edge fades out of a black surround over a few lines.
EDGE_DEPTH_SHARE = 0.12


def content_box(grey: Grey) -> CropBox:
    """The box inside bands of one uniform tone on opposite sides; the whole frame if none.

    Bands must face each other (top and bottom, left and right), as bars and a centred
    picture's surround do, so a flat sky on top of a picture is not taken for a border.
    """
    height, width = grey.shape
    whole = CropBox(0, 0, width, height)
    if height < 8 or width < 8:
        return whole
    low, high = _tone_range(grey)

    def border(line: Grey) -> bool:
        return _is_border(line, low, high)

    # Most frames have no border, and two lines of pixels say so.
    if not (border(grey[0]) and border(grey[-1])) and not (
        border(grey[:, 0]) and border(grey[:, -1])
    ):
        return whole
    near = cv2.inRange(grey, low, high)
    rows = cv2.reduce(near, 1, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    cols = cv2.reduce(near, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    top, bottom = _bands(rows >= BORDER_LINE_SHARE * 255)
    left, right = _bands(cols >= BORDER_LINE_SHARE * 255)
    box = CropBox(left, top, width - left - right, height - top - bottom)
    small = box.width < MIN_PICTURE_SHARE * width or box.height < MIN_PICTURE_SHARE * height
    return whole if small or not _edged(near[top : height - bottom, left : width - right]) else box


def content_of(grey: Grey) -> Grey:
    box = content_box(grey)
    return grey[box.top : box.top + box.height, box.left : box.left + box.width]


def _tone_range(grey: Grey) -> tuple[int, int]:
    """The border's tone, from the corners: every kind of border (bars, a surround) has them."""
    corners = (grey[:3, :3], grey[:3, -3:], grey[-3:, :3], grey[-3:, -3:])
    values = sorted(np.concatenate([c.ravel() for c in corners]).tolist())
    tone = int(values[len(values) // 2])  # sorting 36 values: a tenth of np.median's cost
    return max(0, tone - BORDER_TOLERANCE), min(255, tone + BORDER_TOLERANCE)


def _is_border(line: Grey, low: int, high: int) -> bool:
    inside = np.count_nonzero((line >= low) & (line <= high))
    return bool(inside >= BORDER_LINE_SHARE * len(line))


def _edged(inside: npt.NDArray[np.generic]) -> bool:
    """A picture fills its box to its edges; text on a flat card touches them here and there.

    Each side passes when one of its first few lines is mostly picture, not only the outermost:
    a photo's own dark edge (hair, a shadow) on black is partly of the border's tone.
    """
    height, width = inside.shape
    rows = max(1, round(EDGE_DEPTH_SHARE * height))
    cols = max(1, round(EDGE_DEPTH_SHARE * width))
    sides = (inside[:rows], inside[::-1][:rows], inside.T[:cols], inside.T[::-1][:cols])
    return all(_has_picture_line(lines) for lines in sides)


def _has_picture_line(lines: npt.NDArray[np.generic]) -> bool:
    shares = np.count_nonzero(lines, axis=1) / lines.shape[1]
    return bool(shares.min() < EDGE_BORDER_SHARE)


def _bands(border: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """Leading and trailing border lines, or (0, 0) unless both sides have a band and the
    bands are alike, as bars and a centred picture's surround are (a caption in a corner of
    a flat frame is not a picture)."""
    size = len(border)
    if border.all():
        return 0, 0  # one tone from edge to edge: a flat frame, judged whole
    lead = int(np.argmin(border))
    trail = int(np.argmin(border[::-1]))
    least = max(1, round(MIN_BAND_SHARE * size))
    facing = min(lead, trail) >= max(least, max(lead, trail) / BAND_RATIO)
    return (lead, trail) if facing else (0, 0)
