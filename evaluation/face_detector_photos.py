"""What each face detector finds on the labelled photos, and on the same faces made small.

The labels are what the media's own projects publish, nothing drawn by us:

- face_detection_expected.json: a box for obama.jpg and the two partial faces. A box found
  counts as a hit when its IoU with the published one is at least BOX_IOU (both in dlib
  HOG's convention, to which every detector's boxes are mapped).
- identities.json's single-identity photos, two_people.jpg (two faces) and the 55 johns
  crops (one face each): a count per photo and no box. Up to that many faces found are hits,
  any beyond are false; a detector that finds a wrong box and misses the face scores a hit
  there, which this cannot tell apart (the box rows and the identity rows can).
- knn_examples/test: the people each file name promises, a lower bound (a bystander is not
  labelled), so these count for recall only.

Small faces: the johns crops, each scaled so that its face (HOG's box in the crop) is SIZE px
tall, pasted 15 to a 640x360 grey frame at uneven places. A face is found when a box's
centre lies inside its pasted box and the box is half to twice its size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from handlers.dlib_detectors import DlibDetector
from handlers.face_box import FaceBox
from handlers.face_candidates import FaceDetector, Picture

FACES = "faces/face_recognition"
JOHNS = "faces/johns"
BOX_IOU = 0.5
SMALL_SIZES = (16, 20, 24, 32, 48)
FRAME = (640, 360)
GRID = (5, 3)


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    faces: int  # how many faces the labels promise
    box: FaceBox | None  # the published box, where there is one
    complete: bool  # False: `faces` is a lower bound (bystanders unlabelled)


@dataclass(frozen=True)
class BoxTally:
    hits: int
    labelled: int
    found: int  # boxes found on photos whose labels are complete
    false: int

    def recall(self) -> float:
        return self.hits / self.labelled if self.labelled else 0.0

    def precision(self) -> float:
        return (self.found - self.false) / self.found if self.found else 1.0


def rgb_of(path: Path) -> Picture:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def labelled_photos(media: Path) -> list[LabelledPhoto]:
    root = media / FACES
    expected = json.loads((root / "face_detection_expected.json").read_text(encoding="utf-8"))
    identities = json.loads((root / "identities.json").read_text(encoding="utf-8"))
    boxed = [
        LabelledPhoto(root / name, 1, FaceBox(*entry["hog_face_location"]), True)
        for name, entry in expected.items()
        if isinstance(entry, dict) and "hog_face_location" in entry
    ]
    counted = [
        *(LabelledPhoto(root / n, 1, None, True) for n in identities["single_identity_images"]),
        *(
            LabelledPhoto(root / n, len(e["identities"]), None, True)
            for n, e in identities["multi_face_images"].items()
        ),
        *(LabelledPhoto(p, 1, None, True) for p in sorted((media / JOHNS).rglob("*.jpg"))),
    ]
    knn = [
        LabelledPhoto(root / n, len(people), None, False)
        for n, people in identities["knn_test"].items()
        if not n.startswith("_")
    ]
    return [*boxed, *counted, *knn]


def box_tally(detector: FaceDetector, photos: list[LabelledPhoto]) -> BoxTally:
    hits = labelled = found = false = 0
    for photo in photos:
        boxes = [c.box for c in detector.find(rgb_of(photo.path))]
        right = (
            min(len(boxes), photo.faces)
            if photo.box is None
            else int(any(b.iou(photo.box) >= BOX_IOU for b in boxes))
        )
        hits += right
        labelled += photo.faces
        if photo.complete:
            found += len(boxes)
            false += len(boxes) - right
    return BoxTally(hits, labelled, found, false)


@dataclass(frozen=True)
class Collage:
    frame: Picture
    faces: tuple[FaceBox, ...]


def collages(media: Path, size: int) -> list[Collage]:
    """The johns crops with faces `size` px tall, 15 to a frame (see the module's doc)."""
    hog = DlibDetector("hog")
    crops = [rgb_of(p) for p in sorted((media / JOHNS).rglob("*.jpg"))]
    cells = GRID[0] * GRID[1]
    return [_collage(crops[i : i + cells], hog, size) for i in range(0, len(crops), cells)]


def _collage(crops: list[Picture], hog: DlibDetector, size: int) -> Collage:
    frame = np.full((FRAME[1], FRAME[0], 3), 128, np.uint8)
    cell_w, cell_h = FRAME[0] // GRID[0], FRAME[1] // GRID[1]
    rng = np.random.default_rng(size)
    boxes = []
    for number, crop in enumerate(crops):
        face = max((c.box for c in hog.find(crop)), key=lambda b: b.area, default=None)
        if face is None:
            continue  # HOG found every johns face when this was written; one it misses is left out
        scale = size / face.height
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        row, column = divmod(number, GRID[0])
        top = row * cell_h + int(rng.integers(0, max(1, cell_h - h)))
        left = column * cell_w + int(rng.integers(0, max(1, cell_w - w)))
        h, w = min(h, FRAME[1] - top), min(w, FRAME[0] - left)
        frame[top : top + h, left : left + w] = small[:h, :w]
        boxes.append(_moved(face, scale, left, top))
    return Collage(frame, tuple(boxes))


def _moved(box: FaceBox, scale: float, left: int, top: int) -> FaceBox:
    return FaceBox(
        round(box.top * scale) + top,
        round(box.right * scale) + left,
        round(box.bottom * scale) + top,
        round(box.left * scale) + left,
    )


def found_in(collage: Collage, boxes: list[FaceBox]) -> tuple[int, int]:
    """(pasted faces found, boxes matching no pasted face)."""
    matched = {i for b in boxes for i, face in enumerate(collage.faces) if _on(b, face)}
    stray = sum(1 for b in boxes if not any(_on(b, face) for face in collage.faces))
    return len(matched), stray


def _on(box: FaceBox, face: FaceBox) -> bool:
    x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    inside = face.left <= x <= face.right and face.top <= y <= face.bottom
    return inside and 0.5 <= box.height / max(1, face.height) <= 2.0
