"""`mtcnn`: faces found by MTCNN's three small nets, profiles and small faces included.

P-Net scans an image pyramid for 12 px windows that may be faces; R-Net judges 24x24 crops
of those, O-Net 48x48 crops of what is left and places five landmarks. Each stage corrects
the boxes and drops overlapping ones. Thresholds (0.6, 0.7, 0.7), the pyramid's factor 0.709
and the 20 px smallest face are the published defaults.

MTCNN's boxes are not dlib's: `find` maps them to the boxes dlib's HOG draws for the same
face (mtcnn_boxes.HOG_FROM_MTCNN): dlib's 128-d encoder aligns faces from such boxes.

Measured beside HOG (evaluation.mtcnn_faces, benchmarks.mtcnn_speed; a shared 2-core
machine): it finds the pianist's profile in 29 of the 30 frames of short_hamilton_clip.mp4
where his whole face is in the picture (HOG: 0), faces shrunk to 20 px in 75 of 75 photos
(HOG: 0; at 24 px 14), and every labelled face of the photos, with 5 false faces in 87
(HOG: 1). Johns matched through its boxes: precision and recall 1.0, as HOG. On a CPU it
runs about as fast as HOG at 640x360 (6.6 against 5.5 frames/s, detection alone) and a third
as fast at 1280x720 (1.3 against 3.9: HOG does not upsample there, MTCNN still searches down
to 20 px); it finds about three times as many faces, each encoded at a cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import cv2
import numpy as np
import numpy.typing as npt

from handlers import mtcnn_boxes as geometry
from handlers.face_candidates import FaceCandidate, Picture
from handlers.face_matching import FaceBox
from handlers.mtcnn_weights import MtcnnUnavailableError as MtcnnUnavailableError

if TYPE_CHECKING:
    import torch

    from handlers.mtcnn_nets import OutputNet, ProposalNet, RefineNet

THRESHOLDS = (0.6, 0.7, 0.7)
PYRAMID_FACTOR = 0.709
# Overlaps above which the weaker box goes: within one scale, across scales, after R-Net, and
# after O-Net (over the smaller box there).
OVERLAP_SCALE, OVERLAP_PYRAMID, OVERLAP_REFINED, OVERLAP_FINAL = 0.5, 0.7, 0.7, 0.7

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MtcnnFaces:
    """O-Net's answer, in MTCNN's own box convention, best first."""

    boxes: Array  # (n, 4) x1, y1, x2, y2
    scores: Array  # (n,)
    landmarks: Array  # (n, 5, 2) x, y: two eyes, nose, two mouth corners


class MtcnnDetector:
    """One per process (torch modules on `device`); not thread-safe, like every detector.

    `threads`: torch's threads while `find` runs; the process's own setting is put back after,
    so another stage's torch in the same process keeps its threads. One by default: the nets
    are small, and the daemon runs one faces worker process per core. On the shared 2-core
    machine (busy: load 5-12) two threads were 4 to 6 times slower than one (P-Net on 384x216
    128 against 29 ms; whole 640x360 searches 0.4 against 2.4 frames/s, alternating rounds).
    None: torch's setting as it is.
    """

    name: ClassVar[str] = "mtcnn"

    def __init__(self, min_face_px: int = 20, device: str = "cpu", threads: int | None = 1):
        if min_face_px < geometry.CELL:
            raise ValueError(f"min_face_px must be at least {geometry.CELL}, got {min_face_px}")
        import torch

        from handlers.mtcnn_nets import OutputNet, ProposalNet, RefineNet, load_net

        self.min_face_px = min_face_px
        self.threads = threads
        self._device = torch.device(device)
        if self._device.type == "cuda" and not torch.cuda.is_available():
            raise MtcnnUnavailableError(f"mtcnn on {device}: this torch sees no CUDA device")
        self._proposer: ProposalNet = load_net(ProposalNet(), "pnet.pt", self._device)
        self._refiner: RefineNet = load_net(RefineNet(), "rnet.pt", self._device)
        self._outputter: OutputNet = load_net(OutputNet(), "onet.pt", self._device)

    def find(self, rgb: Picture) -> list[FaceCandidate]:
        faces = self.detect(rgb)
        height, width = rgb.shape[:2]
        return [
            FaceCandidate(
                box=_clipped(geometry.hog_box(box), width, height),
                score=float(score),
                landmarks=_ordered(points),
            )
            for box, score, points in zip(faces.boxes, faces.scores, faces.landmarks, strict=True)
        ]

    def detect(self, rgb: Picture) -> MtcnnFaces:
        """The faces in an RGB picture, in MTCNN's own boxes (find gives HOG's)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB picture of uint8, got {rgb.dtype} {rgb.shape}")
        import torch

        picture = np.ascontiguousarray(rgb)
        with torch.inference_mode(), _torch_threads(self.threads):
            boxes = self._proposals(picture)
            if len(boxes):
                boxes = self._refined(picture, boxes)
            if len(boxes):
                return self._finished(picture, boxes)
        return MtcnnFaces(np.empty((0, 4)), np.empty(0), np.empty((0, 5, 2)))

    def _scales(self, height: int, width: int) -> list[float]:
        scale = geometry.CELL / self.min_face_px
        scales = []
        while min(height, width) * scale >= geometry.CELL:
            scales.append(scale)
            scale *= PYRAMID_FACTOR
        return scales

    def _proposals(self, picture: Picture) -> Array:
        height, width = picture.shape[:2]
        found: list[tuple[Array, Array]] = []
        for scale in self._scales(height, width):
            size = (math.ceil(width * scale), math.ceil(height * scale))
            small = np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_AREA), np.uint8)
            probability, offsets = self._proposer(self._tensor(geometry.normalized(small[None])))
            chances = probability[0].cpu().numpy()
            cells, windows = geometry.windows(chances, scale, THRESHOLDS[0])
            scores = chances.ravel()[cells]
            moves = offsets[0].cpu().numpy().reshape(4, -1)[:, cells].T
            keep = geometry.suppressed(windows, scores, OVERLAP_SCALE)
            found.append((geometry.corrected(windows[keep], moves[keep]), scores[keep]))
        if not found:
            return np.empty((0, 4))
        boxes = np.concatenate([boxes for boxes, _ in found])
        scores = np.concatenate([scores for _, scores in found])
        keep = geometry.suppressed(boxes, scores, OVERLAP_PYRAMID)
        return geometry.squared(boxes[keep])

    def _refined(self, picture: Picture, boxes: Array) -> Array:
        probability, offsets = self._refiner(self._tensor(geometry.crops(picture, boxes, 24)))
        scores, moves = probability.cpu().numpy(), offsets.cpu().numpy()
        passed = scores > THRESHOLDS[1]
        boxes, scores, moves = boxes[passed], scores[passed], moves[passed]
        keep = geometry.suppressed(boxes, scores, OVERLAP_REFINED)
        return geometry.squared(geometry.corrected(boxes[keep], moves[keep]))

    def _finished(self, picture: Picture, boxes: Array) -> MtcnnFaces:
        probability, offsets, points = self._outputter(
            self._tensor(geometry.crops(picture, boxes, 48))
        )
        scores, moves = probability.cpu().numpy(), offsets.cpu().numpy()
        passed = scores > THRESHOLDS[2]
        boxes, scores, moves = boxes[passed], scores[passed], moves[passed]
        fractions = points.cpu().numpy()[passed].reshape(-1, 2, 5).transpose(0, 2, 1)
        sizes = (boxes[:, 2:] - boxes[:, :2])[:, None, :]
        landmarks = boxes[:, None, :2] + fractions * sizes
        boxes = geometry.corrected(boxes, moves)
        keep = geometry.suppressed(boxes, scores, OVERLAP_FINAL, by_smaller=True)
        return MtcnnFaces(boxes[keep], scores[keep].astype(np.float64), landmarks[keep])

    def _tensor(self, batch: npt.NDArray[np.float32]) -> torch.Tensor:
        """(n, h, w, 3) as torch's (n, 3, h, w), kept channels last in memory (no copy)."""
        import torch

        return torch.from_numpy(batch).permute(0, 3, 1, 2).to(self._device)


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if threads is not None and threads != before:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _clipped(box: Array, width: int, height: int) -> FaceBox:
    x1, y1, x2, y2 = (round(float(side)) for side in box)
    return FaceBox(top=max(y1, 0), right=min(x2, width), bottom=min(y2, height), left=max(x1, 0))


def _ordered(points: Array) -> tuple[tuple[float, float], ...]:
    """Eyes left-most first, nose, mouth corners left-most first (FaceCandidate's order)."""
    eyes = sorted(points[:2].tolist())
    mouth = sorted(points[3:].tolist())
    nose = points[2].tolist()
    return tuple((float(x), float(y)) for x, y in [*eyes, nose, *mouth])
