from __future__ import annotations

import pytest

from handlers.face_box import FaceBox


def test_iou_of_a_box_with_itself_is_one_and_with_a_box_apart_zero() -> None:
    box = FaceBox(top=10, right=50, bottom=50, left=10)
    assert box.iou(box) == 1.0
    assert box.iou(FaceBox(top=60, right=120, bottom=100, left=60)) == 0.0


def test_iou_of_half_overlapping_boxes_is_a_third_either_way() -> None:
    left = FaceBox(top=0, right=20, bottom=10, left=0)
    right = FaceBox(top=0, right=30, bottom=10, left=10)
    assert left.iou(right) == pytest.approx(100 / 300)
    assert right.iou(left) == pytest.approx(100 / 300)


def test_iou_of_empty_boxes_is_zero_not_a_division_error() -> None:
    empty = FaceBox(top=5, right=5, bottom=5, left=5)
    assert empty.iou(empty) == 0.0
