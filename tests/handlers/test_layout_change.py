"""The content area and the detail test the shot detector judges cuts by."""

from __future__ import annotations

import cv2
import numpy as np

from handlers.layout_change import Area, Thumb, content_area, detail_distance, shared_area
from handlers.shot_detection import (
    MIN_DETAIL_CHANGE,
    MIN_STRUCTURE_CHANGE,
    structure_distance,
)
from tests.slideshows import SLIDE_SIZE, Ground, on_ground, portrait


def thumb(ground: Ground, seed: int, size: tuple[int, int] = (160, 120)) -> Thumb:
    frame = on_ground(portrait(seed, size), ground, SLIDE_SIZE)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return grey[::3, ::3].astype(np.float32)


def test_a_photo_centred_on_black_or_grey_is_its_content_area() -> None:
    # 320x180 frame, 160x120 photo at (80, 30); a third of that in the thumbnail.
    for ground in (Ground.BLACK, Ground.GREY):
        area = content_area(thumb(ground, 1))
        assert area is not None
        assert abs(area.top - 10) <= 1 and abs(area.bottom - 50) <= 1
        assert abs(area.left - 27) <= 1 and abs(area.right - 80) <= 1


def test_a_full_frame_picture_is_all_content_and_a_flat_frame_has_none() -> None:
    full = thumb(Ground.FULL_FRAME, 2)
    assert content_area(full) == Area(0, full.shape[0], 0, full.shape[1])
    assert content_area(np.full((60, 107), 16, np.float32)) is None


def test_the_shared_area_is_what_either_frame_fills() -> None:
    small, large = Area(10, 20, 10, 20), Area(5, 15, 12, 30)
    assert shared_area(small, large, (60, 107)) == Area(5, 20, 10, 30)
    assert shared_area(None, small, (60, 107)) == small
    assert shared_area(None, None, (60, 107)) == Area(0, 60, 0, 107)


def test_portraits_framed_alike_differ_in_detail_not_in_layout() -> None:
    a, b = thumb(Ground.FULL_FRAME, 3), thumb(Ground.FULL_FRAME, 12)
    assert structure_distance(a, b) < MIN_STRUCTURE_CHANGE  # what the layout test misses
    assert detail_distance(a, b, structure_distance) >= MIN_DETAIL_CHANGE


def test_the_same_picture_moved_or_relit_keeps_its_detail() -> None:
    a = thumb(Ground.FULL_FRAME, 4)
    moved = np.roll(a, 4, axis=1)
    relit = np.clip(a * 0.6 + 50, 0, 255)
    assert detail_distance(a, moved, structure_distance) < MIN_DETAIL_CHANGE / 4
    assert detail_distance(a, relit, structure_distance) < MIN_DETAIL_CHANGE / 4
