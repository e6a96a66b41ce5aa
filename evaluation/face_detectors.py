"""Every face detector side by side on ../shared/media: boxes, small faces, profiles, identity.

    .venv/bin/python -m evaluation.face_detectors [--media DIR] [--detectors hog,blazeface]

One row per detector of the registry (handlers.face_detectors; one that cannot load says
why). The labels and how a box counts as a hit: evaluation.face_detector_photos.

- boxes: recall and precision on the labelled photos; the median IoU of its box with HOG's
  for the same face (IoU > 0.3), which tells how well its boxes were mapped to HOG's.
- small faces: the johns faces found at 16 to 48 px in 640x360 frames, and stray boxes.
- profile: frames of short_hamilton_clip.mp4's pianist shot (frames 20-81, his face partly
  or fully in profile; identities.json's staging note) with a face found, every 3rd frame.
- identity: evaluation.faces' johns, knn and short_hamilton_clip.mp4 checks with that
  detector's faces encoded (references included). Judged: johns precision 1.0 and recall
  0.9, every knn photo right, nobody named outside their shots in the clip, as with HOG
  (the clip is left out for dlib's CNN: minutes on a CPU).
- s: the seconds the detector took over all of the above (the CNN: minutes on a CPU).

Exits 1 when a judged check fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evaluation import faces as identity
from evaluation.face_detector_photos import (
    SMALL_SIZES,
    box_tally,
    collages,
    found_in,
    labelled_photos,
    rgb_of,
)
from evaluation.faces import CLIP, FACES, JOHNS, sampled_frames
from evaluation.table import DEFAULT_MEDIA, Row, print_table
from handlers.dlib_detectors import DlibDetector
from handlers.dlib_models import dlib_has_cuda
from handlers.face_candidates import FaceDetector
from handlers.face_detectors import DETECTOR_NAMES, make_detector
from handlers.face_matching import Detector

# dlib's CNN without CUDA: the clip's identity check (55 frames) would take many minutes.
SLOW_ON_CPU = ("cnn",)
PIANIST = (20, 81)
PIANIST_STEP = 3
OVERLAP_WITH_HOG = 0.3


def median_iou_with_hog(detector: FaceDetector, photos: Sequence[Path]) -> float:
    hog = DlibDetector("hog")
    overlaps = []
    for path in photos:
        rgb = rgb_of(path)
        found = [c.box for c in detector.find(rgb)]
        for face in (c.box for c in hog.find(rgb)):
            best = max((face.iou(box) for box in found), default=0.0)
            if best > OVERLAP_WITH_HOG:
                overlaps.append(best)
    overlaps.sort()
    return overlaps[len(overlaps) // 2] if overlaps else 0.0


def pianist_frames(detector: FaceDetector, media: Path) -> tuple[int, int]:
    """(sampled frames of the pianist's shot with a face found, frames sampled)."""
    first, last = PIANIST
    sampled = [
        rgb
        for index, rgb in sampled_frames(media / FACES / CLIP, 1)
        if first <= index <= last and (index - first) % PIANIST_STEP == 0
    ]
    return sum(1 for rgb in sampled if detector.find(rgb)), len(sampled)


def small_faces(detector: FaceDetector, media: Path) -> list[str]:
    cells, strays = [], 0
    for size in SMALL_SIZES:
        pasted = found = 0
        for collage in collages(media, size):
            hit, stray = found_in(collage, [c.box for c in detector.find(collage.frame)])
            pasted, found, strays = pasted + len(collage.faces), found + hit, strays + stray
        cells.append(f"{found}/{pasted}")
    return [*cells, str(strays)]


def identity_cells(name: Detector, media: Path) -> tuple[list[str], bool]:
    try:
        johns = identity.johns_rows(media, name)[-1]  # all five together
        knn = identity.knn_rows(media, name)
        clip = [] if name in SLOW_ON_CPU else identity.hamilton_rows(media, name)
    except Exception as exc:  # a reference without a face: a failed check, not a crash
        return [f"error: {exc}", "", ""], False
    if not clip:
        clip = [Row(CLIP, "", "not run: 55 frames at seconds each", None)]
    knn_passed = sum(1 for row in knn if row.passed)
    judged = [row for row in clip if row.passed is not None]
    clip_passed = sum(1 for row in judged if row.passed)
    shown = f"{clip_passed}/{len(judged)} pass" if judged else clip[0].found
    cells = [johns.found, f"{knn_passed}/{len(knn)} pass", shown]
    return cells, bool(johns.passed) and knn_passed == len(knn) and clip_passed == len(judged)


def detector_row(name: Detector, media: Path) -> tuple[list[str], bool]:
    started = time.perf_counter()
    try:
        detector = make_detector(name)
    except Exception as exc:  # a detector that cannot load is a row saying why
        return [name, f"unavailable: {exc}"], True
    photos = labelled_photos(media)
    tally = box_tally(detector, photos)
    overlap = median_iou_with_hog(detector, [p.path for p in photos])
    with_face, sampled = pianist_frames(detector, media)
    ids, judged = identity_cells(name, media)
    return [
        name,
        f"{tally.recall():.2f} ({tally.hits}/{tally.labelled})",
        f"{tally.precision():.2f} ({tally.false} false)",
        f"{overlap:.2f}",
        *small_faces(detector, media),
        f"{with_face}/{sampled}",
        *ids,
        f"{time.perf_counter() - started:.0f}",
    ], judged


HEADER = (
    "detector",
    "box recall",
    "box precision",
    "IoU with HOG",
    *(f"{size} px" for size in SMALL_SIZES),
    "stray",
    "pianist",
    "johns (all five)",
    "knn",
    "hamilton",
    "s",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    slow = () if dlib_has_cuda() else SLOW_ON_CPU  # asked for by name only
    names = [n for n in DETECTOR_NAMES if n != "auto" and n not in slow]
    parser.add_argument(
        "--detectors",
        default=",".join(names),
        help=f"comma-separated (default {','.join(names)}; without CUDA, cnn only when named)",
    )
    args = parser.parse_args(argv)
    media: Path = args.media
    if not (media / FACES).is_dir() or not (media / JOHNS).is_dir():
        print(f"media folder not found: {media}", file=sys.stderr)
        return 2
    rows, verdicts = [], []
    for name in args.detectors.split(","):
        row, judged = detector_row(name, media)  # type: ignore[arg-type]
        rows.append([*row, *[""] * (len(HEADER) - len(row))])
        verdicts.append(judged)
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)  # a long run shows as it goes
    print_table(HEADER, rows)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
