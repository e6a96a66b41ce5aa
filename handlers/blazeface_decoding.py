"""BlazeFace's raw output to boxes: SSD anchors, decoding, MediaPipe's weighted NMS.

Follows MediaPipe's face_detection_full_range_common.pbtxt (one 48x48 layer of anchors at
stride 4, offsets 0.5, fixed anchor size: the raw box is in input pixels around the anchor)
and its TensorsToDetectionsCalculator (logits clipped to +-80 then a sigmoid) and
NonMaxSuppressionCalculator (weighted, IoU 0.3): overlapping boxes are averaged weighted by
their scores, which steadies a box from frame to frame more than keeping the best one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
STRIDE = 4
RAW_SCORE_LIMIT = 80.0
NMS_IOU = 0.3
KEYPOINTS = 6


@dataclass(frozen=True)
class Detections:
    """N detections: boxes (N, 4) as left, top, right, bottom; keypoints (N, 6, 2) x, y."""

    boxes: Floats
    keypoints: Floats
    scores: Floats

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            np.empty((0, 4), np.float32),
            np.empty((0, KEYPOINTS, 2), np.float32),
            np.empty(0, np.float32),
        )

    @classmethod
    def concatenate(cls, parts: list[Detections]) -> Detections:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.keypoints for p in parts]),
            np.concatenate([p.scores for p in parts]),
        )

    def scaled(self, factor: float, dx: float, dy: float) -> Detections:
        shift = np.array([dx, dy], np.float32)
        boxes = self.boxes * factor + np.tile(shift, 2)
        return Detections(boxes, self.keypoints * factor + shift, self.scores)

    def take(self, rows: npt.NDArray[np.intp]) -> Detections:
        return Detections(self.boxes[rows], self.keypoints[rows], self.scores[rows])


def anchors(side: int) -> Floats:
    """Anchor centres in input pixels, row by row: (side/STRIDE)² of them."""
    cells = side // STRIDE
    centres = (np.arange(cells, dtype=np.float32) + 0.5) * STRIDE
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def decode(raw: Floats, logits: Floats, centres: Floats, min_score: float) -> Detections:
    """The detections scoring at least `min_score`, in input pixels (the raw values are
    offsets in input pixels from their anchor's centre)."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
    keep = np.flatnonzero((scores >= min_score) & (raw[:, 2] > 0) & (raw[:, 3] > 0))
    rows, at = raw[keep], centres[keep]
    middle = rows[:, 0:2] + at
    half = rows[:, 2:4] / 2
    boxes = np.concatenate([middle - half, middle + half], axis=1)
    points = rows[:, 4 : 4 + 2 * KEYPOINTS].reshape(-1, KEYPOINTS, 2) + at[:, None, :]
    return Detections(
        boxes.astype(np.float32), points.astype(np.float32), scores[keep].astype(np.float32)
    )


def iou(box: Floats, others: Floats) -> Floats:
    left = np.maximum(box[0], others[:, 0])
    top = np.maximum(box[1], others[:, 1])
    right = np.minimum(box[2], others[:, 2])
    bottom = np.minimum(box[3], others[:, 3])
    overlap = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = (box[2] - box[0]) * (box[3] - box[1]) + areas - overlap
    return np.where(union > 0, overlap / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def weighted_nms(found: Detections, threshold: float = NMS_IOU) -> Detections:
    """Each cluster of boxes overlapping the best remaining one by more than `threshold`
    becomes their score-weighted average, with the best one's score."""
    order = np.argsort(-found.scores, kind="stable")
    boxes, points, scores = [], [], []
    while len(order):
        best = order[0]
        similar = iou(found.boxes[best], found.boxes[order]) > threshold
        similar[0] = True
        members = order[similar]
        weights = found.scores[members][:, None]
        total = float(weights.sum())
        boxes.append((found.boxes[members] * weights).sum(axis=0) / total)
        points.append((found.keypoints[members] * weights[:, :, None]).sum(axis=0) / total)
        scores.append(found.scores[best])
        order = order[~similar]
    if not scores:
        return Detections.empty()
    return Detections(
        np.asarray(boxes, np.float32),
        np.asarray(points, np.float32),
        np.asarray(scores, np.float32),
    )
