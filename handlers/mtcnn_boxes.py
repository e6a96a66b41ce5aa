"""Box arithmetic between MTCNN's stages, in numpy: windows, corrections, overlaps, crops.

Boxes are float arrays of shape (n, 4): x1, y1, x2, y2 in the picture's pixels, the far edge
exclusive, so a box's width is x2 - x1.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Boxes = npt.NDArray[np.float64]
Floats = npt.NDArray[np.float32]
Indices = npt.NDArray[np.intp]
Picture = npt.NDArray[np.uint8]

CELL = 12  # P-Net judges 12x12 windows
STRIDE = 2  # one output cell every 2 pixels of its input
# The HOG box for a face, from MTCNN's: centre moved by (x, y) fractions of MTCNN's width and
# height, then (width, height) scaled; dlib's box is squarer, lower and shorter (brows to
# chin). Medians over the 55 johns crops (python -m evaluation.mtcnn_boxes). Median IoU with
# HOG's box rises from 0.69 to 0.87 there and to 0.83 on 25 faces of other photos, and the
# median distance between the 128-d encodings from HOG's box and MTCNN's falls from 0.069 to
# 0.040 (0.091 to 0.052 on the others): the encoder aligns with landmarks it finds in the box.
HOG_FROM_MTCNN = (0.033, 0.054, 0.963, 0.748)


def windows(probability: Floats, scale: float, threshold: float) -> tuple[Indices, Boxes]:
    """The cells of one P-Net map at `threshold` or above, and their windows in the picture.

    Returns (the cells' flat indices into the map, their boxes).
    """
    rows, columns = np.nonzero(probability >= threshold)
    flat = np.ravel_multi_index((rows, columns), probability.shape)
    x1 = columns * STRIDE / scale
    y1 = rows * STRIDE / scale
    side = CELL / scale
    boxes = np.stack([x1, y1, x1 + side, y1 + side], axis=1).astype(np.float64)
    return np.asarray(flat, dtype=np.intp), boxes.reshape(-1, 4)


def corrected(boxes: Boxes, offsets: Floats) -> Boxes:
    """Boxes moved by a net's offsets, which are fractions of each box's width and height."""
    sizes = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    return boxes + offsets.astype(np.float64) * sizes


def squared(boxes: Boxes) -> Boxes:
    """Square boxes of the longer side, on the same centres: the next net's crops are square."""
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = np.max(boxes[:, 2:] - boxes[:, :2], axis=1, keepdims=True) / 2
    return np.hstack([centres - half, centres + half])


def suppressed(boxes: Boxes, scores: Floats, threshold: float, by_smaller: bool = False) -> Indices:
    """Greedy non-maximum suppression: the best box of each overlapping group, best first.

    Overlap is intersection over union, or over the smaller box's area with `by_smaller`
    (MTCNN's last stage: it also drops a small box lying inside a larger face).
    """
    areas = np.prod(np.maximum(boxes[:, 2:] - boxes[:, :2], 0.0), axis=1)
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        kept.append(int(best))
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        common = np.prod(np.maximum(high - low, 0.0), axis=1)
        if by_smaller:
            whole = np.minimum(areas[best], areas[rest])
        else:
            whole = areas[best] + areas[rest] - common
        overlap = common / np.maximum(whole, 1e-9)
        order = rest[overlap <= threshold]
    return np.asarray(kept, dtype=np.intp)


def crops(picture: Picture, boxes: Boxes, size: int) -> Floats:
    """Each box cut from the picture, black beyond its edges, resized to size x size.

    Returns float32 (n, size, size, 3), scaled to about -1..1 as the nets were trained.
    """
    height, width = picture.shape[:2]
    out = np.empty((len(boxes), size, size, 3), dtype=np.uint8)
    for number, (x1, y1, x2, y2) in enumerate(np.rint(boxes).astype(np.int64)):
        x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
        canvas = np.zeros((y2 - y1, x2 - x1, 3), dtype=np.uint8)
        left, top = max(x1, 0), max(y1, 0)
        right, bottom = min(x2, width), min(y2, height)
        if right > left and bottom > top:
            canvas[top - y1 : bottom - y1, left - x1 : right - x1] = picture[top:bottom, left:right]
        out[number] = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    return normalized(out)


def normalized(pictures: Picture) -> Floats:
    """(n, h, w, 3) uint8 pictures as float32 (n, h, w, 3), about -1..1 as the nets learnt.

    Kept channels last: the nets run about twice as fast in that layout on a CPU.
    """
    return (pictures.astype(np.float32) - np.float32(127.5)) * np.float32(1 / 128)


def hog_box(box: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """MTCNN's box (x1, y1, x2, y2) as the box dlib's HOG draws around the same face."""
    shift_x, shift_y, scale_x, scale_y = HOG_FROM_MTCNN
    width, height = box[2] - box[0], box[3] - box[1]
    centre_x = (box[0] + box[2]) / 2 + shift_x * width
    centre_y = (box[1] + box[3]) / 2 + shift_y * height
    half_x, half_y = scale_x * width / 2, scale_y * height / 2
    return np.array([centre_x - half_x, centre_y - half_y, centre_x + half_x, centre_y + half_y])
