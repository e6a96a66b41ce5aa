"""Doubtful faces (small, or turned away) are named only within the tighter tolerance: the two
faces BlazeFace's boxes got wrong names for in short_hamilton_clip.mp4 at the plain 0.6."""

from __future__ import annotations

from collections.abc import Collection

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.face_matching import DetectedFace, ReferenceSet, detect_faces
from tests.conftest import SHARED_MEDIA

EXAMPLES = SHARED_MEDIA / "faces" / "face_recognition" / "examples"
CLIP = EXAMPLES / "short_hamilton_clip.mp4"
needs_media = pytest.mark.skipif(
    not CLIP.is_file(), reason=f"the Hamilton clip not found at {CLIP}"
)
LIN, ALEX = "Lin-Manuel Miranda", "Alex Lacamoire"
# Frame 3: Lin-Manuel Miranda on stage; a 24 px face beside him matched Alex at 0.588.
# Frame 237: the audience; a turned 56 px face matched Lin-Manuel Miranda at 0.595.
WRONGLY_NAMED = {3: ALEX, 237: LIN}


def frames_of(numbers: Collection[int]) -> dict[int, npt.NDArray[np.uint8]]:
    with av.open(str(CLIP)) as container:
        return {
            number: np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            for number, frame in enumerate(container.decode(video=0))
            if number in numbers
        }


def hamilton_references() -> ReferenceSet:
    names, encodings = [], []
    for name, file in ((LIN, "lin-manuel-miranda.png"), (ALEX, "alex-lacamoire.png")):
        with Image.open(EXAMPLES / file) as image:
            (face,) = detect_faces(np.asarray(image.convert("RGB")))
        names.append(name)
        encodings.append(face.encoding)
    return ReferenceSet(names, encodings)


def named(references: ReferenceSet, faces: list[DetectedFace], rule: bool) -> list[str]:
    if rule:
        matches = references.match_faces(faces)
    else:
        matches = references.match_many([face.encoding for face in faces])
    return sorted(m.character for m in matches if m.character)


@pytest.mark.media
@needs_media
def test_blazefaces_doubtful_faces_in_the_hamilton_clip_get_no_wrong_name() -> None:
    references = hamilton_references()
    for number, picture in frames_of(WRONGLY_NAMED).items():
        faces = detect_faces(picture, detector="blazeface")
        # The fault, reproduced: at the plain tolerance a stranger gets a name.
        assert WRONGLY_NAMED[number] in named(references, faces, rule=False), number
        assert WRONGLY_NAMED[number] not in named(references, faces, rule=True), number
    # Lin-Manuel Miranda's own 40 px face in frame 3 is doubtful too, and still named.
    faces = detect_faces(frames_of({3})[3], detector="blazeface")
    assert named(references, faces, rule=True) == [LIN]


@pytest.mark.media
@needs_media
def test_the_pianists_profile_is_marked_turned_away() -> None:
    """BlazeFace's landmarks reach the face found: frame 72 is his profile at the piano,
    frame 150 Lin-Manuel Miranda's frontal close-up."""
    frames = frames_of({72, 150})
    assert any(face.turned_away for face in detect_faces(frames[72], detector="blazeface"))
    (front,) = [f for f in detect_faces(frames[150], detector="blazeface") if f.box.height > 64]
    assert not front.turned_away
