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
# Measured on the johns faces pasted small into 640x360 frames (evaluation.face_detector_photos):
# with tiles that make a 20 px face 18 px of the input (10 views at 640x360), 47 of 55 are found
# at 20 px and 52 at 24 px; at 12 px (8 views) 17 and 22; at 20 px (17 views) 51 and 55, for
# 70% more time than 18. Each view is one run of the network, about 7-9 ms on a CPU core here.
MIN_FACE_IN_INPUT = 18
# Tiles are sized for faces down to this fraction of the picture's longer side at least, so a
# picture costs 10 views at any size (at 1280x720 tiles for 20 px faces would be 40 views, at
# 1920x1080 about 90). HOG at its default upsampling finds faces down to 1/16 (upsample_for).
SMALLEST_FRACTION = 32
# Tiles overlap by this much of their side: a face up to that size is whole in some tile.
OVERLAP = 0.25


@dataclass(frozen=True)
class View:
    left: int
    top: int
    side: int  # a square; what lies outside the picture is grey


def views_for(width: int, height: int, min_face_px: int) -> list[View]:
    """The whole picture, the picture at half size, and tiles for faces down to
    `min_face_px` or 1/SMALLEST_FRACTION of the longer side, whichever is larger."""
    side = max(width, height)
    min_face_px = max(min_face_px, round(side / SMALLEST_FRACTION))
    whole = View(0, 0, side)
    # The full-range model misses a face filling most of its input (26 of the 55 johns
    # crops, 150 px, each mostly face): the picture is also seen at half size, centred.
    zoomed_out = View((width - 2 * side) // 2, (height - 2 * side) // 2, 2 * side)
    tile = max(INPUT_SIDE, round(min_face_px * INPUT_SIDE / MIN_FACE_IN_INPUT))
    if tile * (1 + OVERLAP) >= side:
        return [whole, zoomed_out]  # the whole picture already shows such faces large enough
    step = tile * (1 - OVERLAP)
    return [whole, zoomed_out] + [
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
