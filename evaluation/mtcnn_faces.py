"""MTCNN beside dlib's HOG on the labelled photos and clip in ../shared/media.

    .venv/bin/python -m evaluation.mtcnn_faces [--media DIR]

- johns: the first crop of each John is his only reference, the other ten are matched
  (tolerance 0.6, margin 0.05, as evaluation.faces): precision and recall with each
  detector's boxes encoded by dlib's 128-d encoder, MTCNN's raw and mapped to HOG's.
- counts: photos labelled with how many people they show (identities.json: single-identity
  photos, two_people.jpg, knn train and test photos by their names; the johns crops one face
  each). Per photo, hits = min(labelled, found); recall = hits / labelled, precision =
  hits / found. An unlabelled real face in the background counts against precision.
- small: the single-face photos shrunk until the face (HOG's box at full size) is N px tall,
  pasted in the middle of a grey 640x360 frame; found = a box overlapping the shrunk face.
- pianist: frames 20-81 of short_hamilton_clip.mp4 (his close-up), frames with a face at
  least 100 px tall; his whole face is in the picture up to frame 49.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import cv2
import face_recognition
import numpy as np
import numpy.typing as npt

from evaluation.mtcnn_boxes import corners, iou
from evaluation.table import media_folder, print_table
from handlers.face_matching import FaceBox, ReferenceSet, detect_faces
from handlers.mtcnn import MtcnnDetector

FACES = "faces/face_recognition"
JOHNS = "faces/johns"
SMALL_SIZES = (20, 24, 30)
Rgb = npt.NDArray[np.uint8]
Finder = Callable[[Rgb], list[FaceBox]]


def rgb_of(path: Path) -> Rgb:
    return np.asarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), dtype=np.uint8)


def finders() -> dict[str, Finder]:
    mtcnn = MtcnnDetector()

    def raw(rgb: Rgb) -> list[FaceBox]:
        return [
            FaceBox(top=round(y1), right=round(x2), bottom=round(y2), left=round(x1))
            for x1, y1, x2, y2 in mtcnn.detect(rgb).boxes.tolist()
        ]

    return {
        "hog": lambda rgb: [face.box for face in detect_faces(rgb)],
        "mtcnn": lambda rgb: [face.box for face in mtcnn.find(rgb)],
        "mtcnn raw boxes": raw,
    }


def encoding(rgb: Rgb, box: FaceBox) -> list[float]:
    location = [(box.top, box.right, box.bottom, box.left)]
    return list(face_recognition.face_encodings(rgb, known_face_locations=location)[0])


def johns_row(media: Path, name: str, find: Finder) -> tuple[str, ...]:
    people = json.loads((media / JOHNS / "identities.json").read_text())["identities"]
    subjects = {}
    for files in people.values():
        for file in files:
            rgb = rgb_of(media / JOHNS / file)
            boxes = sorted(find(rgb), key=lambda box: box.area, reverse=True)
            subjects[file] = encoding(rgb, boxes[0]) if boxes else None
    firsts = {person: sorted(files)[0] for person, files in people.items()}
    known = {person: subjects[file] for person, file in firsts.items() if subjects[file]}
    references = ReferenceSet(list(known), list(known.values()))
    right = named = total = 0
    for person, files in people.items():
        for file in sorted(files)[1:]:
            total += 1
            found = subjects[file]
            character = references.match(found).character if found else None
            named += character is not None
            right += character == person
    precision = right / named if named else 1.0
    return (
        name,
        f"{precision:.3f} ({named - right} wrong)",
        f"{right / total:.3f} ({right}/{total})",
    )


def labelled(media: Path) -> Iterator[tuple[Path, int]]:
    truth = json.loads((media / FACES / "identities.json").read_text())
    for group in ("single_identity_images", "knn_train"):
        for key, value in truth[group].items():
            if not key.startswith("_"):
                files = value if isinstance(value, list) else [key]
                yield from ((media / FACES / file, 1) for file in files)
    for key, value in truth["multi_face_images"].items():
        yield media / FACES / key, len(value["identities"])
    for key, value in truth["knn_test"].items():
        if not key.startswith("_"):
            yield media / FACES / key, len(value)
    yield from ((path, 1) for path in sorted((media / JOHNS).glob("*/*.jpg")))


def counts_row(photos: list[tuple[Path, int]], name: str, find: Finder) -> tuple[str, ...]:
    hits = people = found = 0
    for path, expected in photos:
        boxes = len(find(rgb_of(path)))
        hits, people, found = hits + min(expected, boxes), people + expected, found + boxes
    return (name, f"{hits / people:.3f} ({hits}/{people})", f"{hits / max(found, 1):.3f}")


def small_row(photos: list[tuple[Path, FaceBox]], name: str, find: Finder) -> tuple[str, ...]:
    cells = [name]
    for size in SMALL_SIZES:
        hits = 0
        for path, face in photos:
            rgb = rgb_of(path)
            scale = size / face.height
            small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            frame = np.full((360, 640, 3), 110, dtype=np.uint8)
            small = small[:360, :640]
            top, left = (360 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
            frame[top : top + small.shape[0], left : left + small.shape[1]] = small
            x1, y1, x2, y2 = (v * scale for v in corners(face))
            target = (x1 + left, y1 + top, x2 + left, y2 + top)
            hits += any(iou(corners(box), target) >= 0.3 for box in find(frame))
        cells.append(f"{hits}/{len(photos)}")
    return tuple(cells)


def pianist_row(media: Path, name: str, find: Finder) -> tuple[str, ...]:
    whole = found = 0
    with av.open(str(media / FACES / "examples/short_hamilton_clip.mp4")) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index > 81:
                break
            if index >= 20 and any(b.height >= 100 for b in find(frame.to_ndarray(format="rgb24"))):
                found += 1
                whole += index < 50
    return (name, f"{whole}/30", f"{found}/62")


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, FACES, JOHNS)
    if media is None:
        return 1
    named = finders()
    print_table(
        ("johns", "precision", "recall"), [johns_row(media, n, f) for n, f in named.items()]
    )
    photos = list(labelled(media))
    print_table(
        ("counts", "recall", "precision"), [counts_row(photos, n, f) for n, f in named.items()]
    )
    singles = [(path, detect_faces(rgb_of(path))) for path, people in photos if people == 1]
    faces = [(path, found[0].box) for path, found in singles if len(found) == 1]
    header = ("small faces", *(f"{size} px" for size in SMALL_SIZES))
    print_table(header, [small_row(faces, n, f) for n, f in named.items()])
    header = ("pianist", "frames 20-49", "frames 20-81")
    print_table(header, [pianist_row(media, n, f) for n, f in named.items()])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
