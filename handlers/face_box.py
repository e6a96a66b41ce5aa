"""A face's box, the one shape every part (detectors, encoder, database, crops) shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaceBox:
    """A face's box in face_recognition's (top, right, bottom, left) order, in pixels."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union: 1.0 for the same box, 0.0 for boxes that do not touch."""
        common = FaceBox(
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
            max(self.left, other.left),
        ).area
        union = self.area + other.area - common
        return common / union if union else 0.0
