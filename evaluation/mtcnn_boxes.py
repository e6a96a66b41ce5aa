"""How MTCNN's face box relates to dlib HOG's box for the same face: the fit behind
handlers.mtcnn_boxes.HOG_FROM_MTCNN.

    .venv/bin/python -m evaluation.mtcnn_boxes [--media DIR]

Pairs: every face both detectors find (raw boxes overlapping by IoU >= 0.3) in the 55 johns
crops, the knn_examples photos, the test_images and the Obama/Biden/two-people examples.
HOG's box is face_recognition's at the library's default upsampling (the boxes
face_detection_expected.json publishes for obama.jpg are among them). For each pair the HOG
box's centre offset (as fractions of MTCNN's width and height) and its width and height
ratios are taken; the fit is their medians over the johns crops, and it is judged on the
other photos, which it did not see: median IoU with HOG's box, raw and mapped, and the
median distance between dlib's 128-d encoding of the face from HOG's box and from MTCNN's
(the encoder aligns the face with landmarks it finds inside the box it is given).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from evaluation.table import media_folder, print_table
from handlers.face_matching import FaceBox, detect_faces
from handlers.mtcnn import MtcnnDetector
from handlers.mtcnn_boxes import hog_box

FACES = "faces/face_recognition"
JOHNS = "faces/johns"
SAME_FACE_IOU = 0.3
Corners = tuple[float, float, float, float]


@dataclass(frozen=True)
class Pair:
    group: str  # "johns" (fitted on) or "others" (held out)
    mtcnn: Corners  # x1, y1, x2, y2
    hog: Corners
    raw_distance: float  # between the 128-d encodings from HOG's box and MTCNN's raw box
    mapped_distance: float  # ... and from MTCNN's box mapped to HOG's convention


def photos(media: Path) -> Iterator[tuple[str, Path]]:
    yield from (("johns", path) for path in sorted((media / JOHNS).glob("*/*.jpg")))
    others = [
        *sorted((media / FACES / "examples/knn_examples").glob("*/*/*.jp*g")),
        *sorted((media / FACES / "tests/test_images").glob("*.jpg")),
        *sorted((media / FACES / "examples").glob("*.jpg")),
    ]
    yield from (("others", path) for path in others)


def corners(box: FaceBox) -> Corners:
    return (box.left, box.top, box.right, box.bottom)


def iou(a: Corners, b: Corners) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    common = max(width, 0) * max(height, 0)
    whole = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - common
    return common / whole if whole > 0 else 0.0


def encoding(rgb: npt.NDArray[np.uint8], box: Corners) -> npt.NDArray[np.float64]:
    # Here, not with the module: importing face_recognition makes Pillow pad truncated files
    # for the whole process (see handlers.face_matching), and the tests import fit from here.
    import face_recognition

    x1, y1, x2, y2 = (round(side) for side in box)
    found = face_recognition.face_encodings(rgb, known_face_locations=[(y1, x2, y2, x1)])
    return np.asarray(found[0], dtype=np.float64)


def pairs_in(group: str, path: Path, detector: MtcnnDetector) -> Iterator[Pair]:
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    hogs = [(corners(face.box), np.asarray(face.encoding)) for face in detect_faces(rgb)]
    for box in detector.detect(rgb).boxes:
        mine: Corners = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        best = max(hogs, key=lambda hog: iou(mine, hog[0]), default=None)
        if best is not None and iou(mine, best[0]) >= SAME_FACE_IOU:
            raw = float(np.linalg.norm(encoding(rgb, mine) - best[1]))
            mapped_ = float(np.linalg.norm(encoding(rgb, mapped(mine)) - best[1]))
            yield Pair(group, mine, best[0], raw, mapped_)


def fit(pairs: list[Pair]) -> tuple[float, float, float, float]:
    """Medians of (centre shift x, shift y) in MTCNN widths/heights, (width, height) ratios."""
    figures = []
    for pair in pairs:
        (mx1, my1, mx2, my2), (hx1, hy1, hx2, hy2) = pair.mtcnn, pair.hog
        width, height = mx2 - mx1, my2 - my1
        figures.append(
            (
                ((hx1 + hx2) - (mx1 + mx2)) / 2 / width,
                ((hy1 + hy2) - (my1 + my2)) / 2 / height,
                (hx2 - hx1) / width,
                (hy2 - hy1) / height,
            )
        )
    shift_x, shift_y, scale_x, scale_y = (
        statistics.median(column) for column in zip(*figures, strict=True)
    )
    return shift_x, shift_y, scale_x, scale_y


def mapped(box: Corners) -> Corners:
    x1, y1, x2, y2 = hog_box(np.asarray(box, dtype=np.float64)).tolist()
    return (x1, y1, x2, y2)


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, FACES, JOHNS)
    if media is None:
        return 1
    detector = MtcnnDetector()
    pairs = [pair for group, path in photos(media) for pair in pairs_in(group, path, detector)]
    johns = [pair for pair in pairs if pair.group == "johns"]
    print("fit (shift x, shift y, width ratio, height ratio), on the johns crops and alone on")
    print("the other photos, for comparison:")
    for name, chosen in (("johns", johns), ("others", [p for p in pairs if p not in johns])):
        print(f"  {name}: " + ", ".join(f"{value:.3f}" for value in fit(chosen)))
    cells = []
    for group in ("johns", "others"):
        chosen = [pair for pair in pairs if pair.group == group]
        raw = statistics.median(iou(p.mtcnn, p.hog) for p in chosen)
        after = statistics.median(iou(mapped(p.mtcnn), p.hog) for p in chosen)
        distances = [
            f"{statistics.median(p.raw_distance for p in chosen):.4f}",
            f"{statistics.median(p.mapped_distance for p in chosen):.4f}",
        ]
        cells.append((group, str(len(chosen)), f"{raw:.3f}", f"{after:.3f}", *distances))
    header = ("photos", "faces", "IoU raw", "IoU mapped", "distance raw", "distance mapped")
    print_table(header, cells)
    print("IoU: median, with HOG's box for the same face; distance: median, between the 128-d")
    print("encodings from HOG's box and from MTCNN's (0.6 tells two people apart)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
