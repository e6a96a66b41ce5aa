"""What a face detector hands on: boxes with a score, and five landmarks when it has them.

Every detector (dlib's HOG and CNN, MTCNN, BlazeFace) answers in this one shape, so the
encoder and the faces stage never know which one ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from handlers.face_box import FaceBox

Picture = npt.NDArray[np.uint8]
Point = tuple[float, float]


@dataclass(frozen=True)
class FaceCandidate:
    box: FaceBox  # in the picture's pixels, clipped to it
    score: float  # the detector's own confidence, 0..1 (dlib's HOG and CNN: 1.0)
    # Eyes (right, left as seen in the picture: left-most first), nose tip, mouth corners,
    # in the picture's (x, y) pixels; empty when the detector gives none. BlazeFace gives
    # four: the eyes, the nose tip and the mouth's centre (it places no mouth corners).
    landmarks: tuple[Point, ...] = ()


class DetectorUnavailableError(RuntimeError):
    """A detector whose package or model file is not installed; the message names the package."""


class FaceDetector(Protocol):
    """Finds faces in an RGB picture. One instance per process: none is thread-safe."""

    name: str

    def find(self, rgb: Picture) -> list[FaceCandidate]: ...
