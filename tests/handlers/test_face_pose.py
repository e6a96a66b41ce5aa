"""A face seen from the side is told from a front or three-quarter face by its landmarks."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.face_candidates import FaceCandidate, Point
from handlers.face_matching import FaceBox
from handlers.face_pose import turned_away
from handlers.mtcnn import MtcnnDetector
from tests.conftest import SHARED_MEDIA

FACES = SHARED_MEDIA / "faces" / "face_recognition"
CLIP = FACES / "examples" / "short_hamilton_clip.mp4"
JOHNS = SHARED_MEDIA / "faces" / "johns"
BOX = FaceBox(top=0, right=100, bottom=100, left=0)


def rgb_of(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def candidate(*landmarks: Point) -> FaceCandidate:
    return FaceCandidate(box=BOX, score=1.0, landmarks=landmarks)


def test_a_front_face_is_not_turned_away() -> None:
    assert not turned_away(candidate((30, 40), (70, 40), (52, 60), (35, 80), (65, 80)))


def test_a_nose_beside_the_eyes_is_a_profile() -> None:
    assert turned_away(candidate((40, 40), (80, 40), (30, 60), (35, 80), (65, 80)))


def test_eyes_close_together_are_a_profile() -> None:
    assert turned_away(candidate((60, 40), (80, 40), (70, 60), (62, 80), (78, 80)))


def test_a_face_without_landmarks_cannot_be_judged() -> None:
    assert not turned_away(FaceCandidate(box=BOX, score=1.0))


@pytest.mark.media
@pytest.mark.skipif(not JOHNS.is_dir() or not CLIP.is_file(), reason=f"{SHARED_MEDIA} lacks faces")
def test_mtcnn_faces_are_judged_as_they_are_seen() -> None:
    detector = MtcnnDetector()
    fronts = [*sorted(JOHNS.glob("*/*.jpg")), FACES / "tests" / "test_images" / "obama.jpg"]
    for path in fronts:
        largest = max(detector.find(rgb_of(path)), key=lambda face: face.box.area)
        assert not turned_away(largest), path
    profiles = []
    with av.open(str(CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in range(20, 46, 5):  # the pianist's profile
                faces = detector.find(frame.to_ndarray(format="rgb24"))
                profiles.append(max(faces, key=lambda face: face.box.area))
            if index >= 45:
                break
    assert len(profiles) == 6
    assert all(map(turned_away, profiles)), profiles
