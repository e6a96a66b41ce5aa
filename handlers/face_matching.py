"""Faces in a picture and whose they are: any face detector, dlib's 128-d encodings, matching.

dlib is loaded on first use, not with this module (dlib_models); the encodings are dlib's
network run by torch (face_encoder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from handlers.dlib_detectors import MAX_UPSAMPLE as MAX_UPSAMPLE  # re-exported, as below
from handlers.dlib_detectors import DlibDetector
from handlers.dlib_detectors import upsample_for as upsample_for
from handlers.dlib_models import DLIB_LOCK
from handlers.face_box import FaceBox as FaceBox  # re-exported: most callers import it from here
from handlers.face_detectors import DetectorName, detector_for
from handlers.face_encoder import face_encoder
from handlers.face_pose import turned_away
from handlers.reference_set import DEFAULT_MARGIN as DEFAULT_MARGIN  # re-exported, as above
from handlers.reference_set import DEFAULT_TOLERANCE as DEFAULT_TOLERANCE
from handlers.reference_set import Match as Match
from handlers.reference_set import ReferenceSet as ReferenceSet
from handlers.reference_set import Vectors as Vectors
from handlers.reference_set import is_doubtful as is_doubtful

Detector = DetectorName  # what each one is: face_detectors

ENCODING_DECIMALS = 6
# A reference photo shows one person; bystanders must be this many times smaller.
DOMINANT_AREA_RATIO = 4.0


@dataclass(frozen=True)
class DetectedFace:
    box: FaceBox
    encoding: tuple[float, ...]  # 128 floats, rounded so stored copies compare equal
    turned_away: bool = False  # seen from the side, by its landmarks (face_pose)


def detect_faces(
    rgb: npt.NDArray[np.uint8], upsample: int | None = None, detector: Detector = "hog"
) -> list[DetectedFace]:
    """The faces `detector` finds in an RGB picture, each with its 128-d encoding.

    `upsample` is for dlib's detectors (hog, cnn): None chooses by size (upsample_for; both
    find faces down to about 80 px of the upsampled picture); the others search down to
    face_detectors.MIN_FACE_PX by themselves and ignore it. Every detector's boxes are in
    dlib HOG's convention, which dlib's shape predictor aligns for the encoder; a face it
    cannot align well (a full profile) still gets an encoding, which then matches nobody
    unless it is near a reference. The picture is made contiguous first: dlib rejects a
    strided view, which PyAV's to_ndarray can return.

    On short_hamilton_clip.mp4 (640x360, 2 CPU cores) the CNN found the pianist's full
    profile in every sampled frame where his whole face is in the picture (8 of 21 of his
    close-up; then he turns away at the frame's edge), where HOG finds none, and 4 audience
    faces a frame against HOG's 0-1. It took 7.9 s a frame at upsample 1 (HOG 0.10 s) and
    1.8 s at upsample 0 (HOG 0.02 s).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB picture of uint8, got {rgb.dtype} {rgb.shape}")
    picture = np.ascontiguousarray(rgb)
    finder = DlibDetector(detector, upsample) if detector in ("hog", "cnn") else None
    encoder = face_encoder()
    with DLIB_LOCK:  # one picture at a time per process; see dlib_models
        candidates = (finder or detector_for(detector)).find(picture)
        chips = encoder.chips(picture, [candidate.box for candidate in candidates])
        encodings = encoder.encode(chips)
    return [
        DetectedFace(
            candidate.box,
            tuple(np.round(encoding, ENCODING_DECIMALS).tolist()),
            turned_away(candidate),
        )
        for candidate, encoding in zip(candidates, encodings, strict=True)
    ]


def largest_face_rule(faces: Sequence[DetectedFace]) -> DetectedFace | None:
    """The face a reference photo is about: the only one, or one that dwarfs every other.

    Dwarfs: its area is at least DOMINANT_AREA_RATIO times the next largest. Two faces of
    similar size leave the photo ambiguous, so None.
    """
    ranked = sorted(faces, key=lambda face: face.box.area, reverse=True)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0].box.area >= DOMINANT_AREA_RATIO * ranked[1].box.area:
        return ranked[0]
    return None
