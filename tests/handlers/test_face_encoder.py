"""dlib's face encodings run by torch: the same 128 numbers as dlib's own network gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.face_box import FaceBox
from handlers.face_encoder import face_encoder
from handlers.face_matching import detect_faces
from tests.conftest import SHARED_MEDIA

EXAMPLES = SHARED_MEDIA / "faces" / "face_recognition" / "examples"
needs_media = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason=f"real face photos not found at {EXAMPLES}"
)
# dlib's float32 sums in another order: measured differences are below 1e-6; a wrong layer,
# padding or channel order moves them by 0.01 to 1.
SAME = 1e-5


def rgb_of(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@needs_media
def test_torch_gives_dlibs_own_encodings_for_real_faces() -> None:
    import face_recognition

    compared = 0
    for photo in sorted(EXAMPLES.glob("*.jpg")):
        picture = rgb_of(photo)
        found = detect_faces(picture, detector="hog")
        where = [(f.box.top, f.box.right, f.box.bottom, f.box.left) for f in found]
        dlibs = face_recognition.face_encodings(picture, known_face_locations=where)
        for face, expected in zip(found, dlibs, strict=True):
            assert np.abs(np.array(face.encoding) - expected).max() < SAME, photo.name
            compared += 1
    assert compared >= 10  # several people, sizes and photos


@needs_media
def test_a_frame_of_faces_is_encoded_in_one_batch_as_one_at_a_time() -> None:
    picture = rgb_of(EXAMPLES / "two_people.jpg")
    boxes = [face.box for face in detect_faces(picture, detector="hog")]
    assert len(boxes) == 2
    encoder = face_encoder()
    together = encoder.encode(encoder.chips(picture, boxes))
    alone = [encoder.encode(encoder.chips(picture, [box]))[0] for box in boxes]
    assert np.abs(np.array(together) - np.array(alone)).max() < SAME
    assert np.linalg.norm(together[0] - together[1]) > 0.6  # two people, told apart


def test_no_faces_gives_no_encodings() -> None:
    encoder = face_encoder()
    chips = encoder.chips(np.zeros((64, 64, 3), np.uint8), [])
    assert chips.shape == (0, 150, 150, 3)
    assert encoder.encode(chips) == []


def test_a_box_at_the_pictures_edge_still_gives_an_encoding() -> None:
    picture = np.random.default_rng(3).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    encoder = face_encoder()
    (encoding,) = encoder.encode(encoder.chips(picture, [FaceBox(-10, 60, 50, -5)]))
    assert encoding.shape == (128,) and np.isfinite(encoding).all()
