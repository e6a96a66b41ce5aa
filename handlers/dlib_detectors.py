"""dlib's two detectors, HOG and the MMOD CNN, in the FaceDetector shape.

Their boxes are the convention every other detector's are mapped to: dlib's 5-point shape
predictor, which aligns a face for the 128-d encoder, was trained on them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from handlers.dlib_models import face_recognition_library, note_cnn_device
from handlers.face_box import FaceBox
from handlers.face_candidates import FaceCandidate, Picture

DlibModel = Literal["hog", "cnn"]
# Upsample until the longer side reaches this; see upsample_for.
HOG_WORKING_SIDE = 1280
MAX_UPSAMPLE = 2


def upsample_for(width: int, height: int) -> int:
    """How many times HOG upsamples a picture of this size: 2 below 640 px, 1 below 1280, else 0.

    Measured on the longer side, so a portrait photo is treated like a landscape frame. dlib's
    HOG window finds faces down to about 80 px and each upsampling halves that; upsampling
    until the longer side reaches 1280 px finds faces down to about 1/16 of it at any size.
    On the 640x360 Hamilton clip, upsample 1 finds the ~50 px face of the wide stage shot that
    0 misses; 2 costs three times as much (445 against 152 ms a frame) and added only two
    18 px faces in 55 frames, too small to be worth a dataset image, matching nobody.
    """
    side = max(width, height)
    times = 0
    while times < MAX_UPSAMPLE and side * 2**times < HOG_WORKING_SIDE:
        times += 1
    return times


class DlibDetector:
    """HOG or CNN at `upsample` (None: upsample_for the picture's size). The caller holds
    dlib_models.DLIB_LOCK: dlib is not thread-safe."""

    def __init__(self, model: DlibModel, upsample: int | None = None) -> None:
        self.name: str = model
        self.model: DlibModel = model
        self.upsample = upsample

    def find(self, rgb: Picture) -> list[FaceCandidate]:
        picture = np.ascontiguousarray(rgb)  # dlib rejects a strided view
        height, width = picture.shape[:2]
        times = upsample_for(width, height) if self.upsample is None else self.upsample
        if self.model == "cnn":
            note_cnn_device()
        locations = face_recognition_library().face_locations(
            picture, number_of_times_to_upsample=times, model=self.model
        )
        return [FaceCandidate(FaceBox(*(int(s) for s in where)), 1.0) for where in locations]
