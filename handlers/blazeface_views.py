"""Which squares of a picture BlazeFace looks at: the whole picture, then tiles for small faces.

The network's input is 192 px square. A face smaller than about MIN_FACE_IN_INPUT px of the
input is not found, so a picture is cut into overlapping square tiles of side
min_face_px * 192 / MIN_FACE_IN_INPUT, each seen alone. The whole picture is always looked at
too: a face larger than a tile's overlap would be cut in two by the tiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INPUT_SIDE = 192
# Measured (evaluation.face_detectors, photos downscaled): faces of 12 px in the input or more.
MIN_FACE_IN_INPUT = 12
# Tiles overlap by this much of their side: a face up to that size is whole in some tile.
OVERLAP = 0.25


@dataclass(frozen=True)
class View:
    left: int
    top: int
    side: int  # a square; where it passes the picture's edge, the crop is the part inside


def views_for(width: int, height: int, min_face_px: int) -> list[View]:
    whole = View(0, 0, max(width, height))
    tile = max(INPUT_SIDE, round(min_face_px * INPUT_SIDE / MIN_FACE_IN_INPUT))
    if tile * (1 + OVERLAP) >= max(width, height):
        return [whole]  # the whole picture already shows such faces large enough
    step = tile * (1 - OVERLAP)
    return [whole] + [
        View(left, top, tile)
        for top in _starts(height, tile, step)
        for left in _starts(width, tile, step)
    ]


def _starts(length: int, tile: int, step: float) -> list[int]:
    """Tile offsets from 0 to length - tile, evenly spread, no gap wider than `step`."""
    if tile >= length:
        return [0]
    count = math.ceil((length - tile) / step) + 1
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]
