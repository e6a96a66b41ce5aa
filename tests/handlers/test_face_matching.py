"""The face library: the matching rule on synthetic encodings, detection on real photos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.face_matching import (
    DetectedFace,
    FaceBox,
    Match,
    ReferenceSet,
    detect_faces,
    is_doubtful,
    largest_face_rule,
    upsample_for,
)
from tests.conftest import ROOT, SHARED_MEDIA

FACES = SHARED_MEDIA / "faces" / "face_recognition"
TEST_IMAGES = FACES / "tests" / "test_images"
NO_FACE_PHOTO = SHARED_MEDIA / "dedup" / "base_images" / "ukbench00120.jpg"
needs_media = pytest.mark.skipif(
    not FACES.is_dir(), reason=f"real face photos not found at {FACES}"
)
INF = float("inf")


def unit(index: int, size: int = 128) -> npt.NDArray[np.float64]:
    vector = np.zeros(size)
    vector[index] = 1.0
    return vector


def at_distance(origin: npt.NDArray[np.float64], axis: int, distance: float) -> list[float]:
    """A point `distance` away from `origin` along an axis no reference uses."""
    return list(origin + distance * unit(axis, len(origin)))


def face(area_side: int) -> DetectedFace:
    return DetectedFace(FaceBox(0, area_side, area_side, 0), (0.0,) * 128)


def rgb_of(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


# --- the matching rule ---------------------------------------------------------------------


def test_a_face_within_tolerance_is_matched_to_the_nearest_character() -> None:
    references = ReferenceSet(["ann", "bob"], [unit(0), unit(1)])
    match = references.match(at_distance(unit(0), 5, 0.3))
    assert match.character == "ann"
    assert match.distance == pytest.approx(0.3)
    assert match.runner_up == pytest.approx(np.hypot(np.sqrt(2), 0.3))


def test_a_face_beyond_tolerance_is_unknown_with_its_distances_kept() -> None:
    references = ReferenceSet(["ann", "bob"], [unit(0), unit(1)], tolerance=0.6)
    match = references.match(at_distance(unit(0), 5, 0.65))
    assert match.character is None
    assert match.distance == pytest.approx(0.65)
    assert match.runner_up > match.distance


def test_tolerance_is_configurable() -> None:
    query = at_distance(unit(0), 5, 0.45)
    assert ReferenceSet(["ann"], [unit(0)], tolerance=0.5).match(query).character == "ann"
    assert ReferenceSet(["ann"], [unit(0)], tolerance=0.4).match(query).character is None


def test_a_doubtful_face_is_named_only_within_the_doubtful_tolerance() -> None:
    references = ReferenceSet(["ann"], [unit(0)], tolerance=0.6, doubtful_tolerance=0.55)
    queries = [at_distance(unit(0), 5, 0.58), at_distance(unit(0), 6, 0.5)]
    plain = references.match_many(queries)
    doubtful = references.match_many(queries, [True, True])
    assert [m.character for m in plain] == ["ann", "ann"]
    assert [m.character for m in doubtful] == [None, "ann"]
    assert doubtful[0].distance == pytest.approx(0.58)  # the distance is kept for review
    mixed = references.match_many(queries, [False, True])
    assert [m.character for m in mixed] == ["ann", "ann"]


def test_doubtful_flags_must_pair_up_with_the_encodings() -> None:
    references = ReferenceSet(["ann"], [unit(0)])
    with pytest.raises(ValueError, match="1 doubtful flags for 2 encodings"):
        references.match_many([unit(0), unit(1)], [True])


def test_the_doubtful_tolerance_never_loosens_the_usual_one() -> None:
    references = ReferenceSet(["ann"], [unit(0)], tolerance=0.4, doubtful_tolerance=0.55)
    assert references.match_many([at_distance(unit(0), 5, 0.5)], [True])[0].character is None


def test_small_faces_and_faces_turned_away_are_doubtful() -> None:
    assert is_doubtful(FaceBox(0, 47, 47, 0), turned_away=False)
    assert not is_doubtful(FaceBox(0, 48, 48, 0), turned_away=False)
    assert is_doubtful(FaceBox(0, 200, 200, 0), turned_away=True)
    assert not is_doubtful(FaceBox(0, 30, 30, 0), turned_away=False, below_pixels=20)


def test_a_face_almost_as_near_to_a_second_character_is_unknown() -> None:
    # ann and bob 0.1 apart; the query is 0.30 from ann and about 0.32 from bob.
    ann, bob = unit(0), unit(0) + 0.1 * unit(1)
    query = at_distance(ann, 5, 0.3)
    ambiguous = ReferenceSet(["ann", "bob"], [ann, bob], margin=0.05).match(query)
    assert ambiguous.character is None
    assert ambiguous.distance == pytest.approx(0.3)
    assert ambiguous.runner_up - ambiguous.distance < 0.05
    relaxed = ReferenceSet(["ann", "bob"], [ann, bob], margin=0.01).match(query)
    assert relaxed.character == "ann"


def test_a_character_is_as_near_as_its_nearest_reference() -> None:
    names = ["ann", "bob", "ann", "bob", "ann"]
    encodings = [unit(0), unit(1), unit(2), unit(3), unit(4)]
    references = ReferenceSet(names, encodings)
    match = references.match(at_distance(unit(2), 9, 0.2))
    assert match == Match("ann", pytest.approx(0.2), pytest.approx(np.hypot(np.sqrt(2), 0.2)))
    assert references.characters == ("ann", "bob")
    assert len(references) == 5


def test_one_character_has_no_runner_up() -> None:
    references = ReferenceSet(["ann", "ann"], [unit(0), unit(1)])
    match = references.match(at_distance(unit(1), 5, 0.1))
    assert match.character == "ann"
    assert match.runner_up == INF


def test_without_references_every_face_is_unknown() -> None:
    references = ReferenceSet([], [])
    assert len(references) == 0
    assert references.characters == ()
    assert references.match(unit(0)) == Match(None, INF, INF)
    assert references.match_many([unit(0), unit(1)]) == [Match(None, INF, INF)] * 2
    assert references.match_many([]) == []


def test_match_many_equals_match_row_by_row() -> None:
    rng = np.random.default_rng(7)
    encodings = rng.normal(0, 0.09, (60, 128))
    names = [f"character {i % 12}" for i in range(60)]
    references = ReferenceSet(names, encodings, tolerance=1.2, margin=0.02)
    near = encodings[rng.integers(0, 60, 40)] + rng.normal(0, 0.04, (40, 128))
    queries = np.vstack([near, rng.normal(0, 0.09, (10, 128))])  # strangers, about 1.4 away
    many = references.match_many(queries)
    one_by_one = [references.match(query) for query in queries]
    # The same decisions; distances agree to rounding (BLAS sums a batch in another order).
    assert [m.character for m in many] == [m.character for m in one_by_one]
    assert [(m.distance, m.runner_up) for m in many] == [
        (pytest.approx(m.distance, abs=1e-12), pytest.approx(m.runner_up, abs=1e-12))
        for m in one_by_one
    ]
    assert any(m.character is not None for m in many)
    assert any(m.character is None for m in many)


def nearest_by_loop(
    names: list[str], encodings: npt.NDArray[np.float64], query: npt.NDArray[np.float64]
) -> dict[str, float]:
    """The rule's input computed the slow, obvious way: each character's nearest reference."""
    nearest: dict[str, float] = {}
    for name, encoding in zip(names, encodings, strict=True):
        nearest[name] = min(nearest.get(name, INF), float(np.linalg.norm(encoding - query)))
    return nearest


def test_a_large_reference_set_agrees_with_a_loop_over_characters() -> None:
    rng = np.random.default_rng(11)
    encodings = rng.normal(0, 0.09, (20_000, 128))
    # Interleaved, so the set must regroup each character's references itself.
    names = [f"c{i % 500:03d}" for i in range(20_000)]
    references = ReferenceSet(names, encodings)
    picked = rng.integers(0, 20_000, 450)  # more rows than one chunk of the distance matrix
    queries = encodings[picked] + rng.normal(0, 0.01, (450, 128))
    matches = references.match_many(queries)
    assert [m.character for m in matches] == [names[i] for i in picked]
    for query, match in list(zip(queries, matches, strict=True))[:20]:
        ranked = sorted(nearest_by_loop(names, encodings, query).values())
        assert match.distance == pytest.approx(ranked[0], abs=1e-9)
        assert match.runner_up == pytest.approx(ranked[1], abs=1e-9)


def test_names_and_encodings_must_pair_up() -> None:
    with pytest.raises(ValueError, match="names"):
        ReferenceSet(["ann", "bob"], [unit(0)])
    with pytest.raises(ValueError, match="values"):
        ReferenceSet(["ann"], [unit(0)]).match(unit(0, size=64))


# --- the reference photo rule and the upsampling rule ----------------------------------------


def test_the_only_face_of_a_photo_is_its_subject() -> None:
    only = face(50)
    assert largest_face_rule([only]) is only


def test_a_face_that_dwarfs_the_others_is_the_subject() -> None:
    big, small, smaller = face(100), face(50), face(20)
    assert largest_face_rule([small, big, smaller]) is big  # area ratio exactly 4


def test_faces_of_similar_size_leave_the_subject_unknown() -> None:
    assert largest_face_rule([face(100), face(51)]) is None
    assert largest_face_rule([]) is None


def test_face_box_measures() -> None:
    box = FaceBox(top=10, right=70, bottom=50, left=20)
    assert (box.width, box.height, box.area) == (50, 40, 2000)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (150, 150, 2),  # a face crop
        (320, 240, 2),
        (427, 240, 2),
        (240, 427, 2),  # portrait: the longer side decides
        (640, 360, 1),
        (910, 1137, 1),
        (1279, 720, 1),
        (1280, 720, 0),
        (1920, 1080, 0),
        (970, 2204, 0),
    ],
)
def test_upsampling_follows_the_longer_side(width: int, height: int, expected: int) -> None:
    assert upsample_for(width, height) == expected


# --- detection ----------------------------------------------------------------------------


def test_only_rgb_pictures_are_accepted() -> None:
    with pytest.raises(ValueError, match="RGB"):
        detect_faces(np.zeros((64, 64), np.uint8))


def test_a_blank_picture_has_no_face() -> None:
    assert detect_faces(np.full((120, 160, 3), 128, np.uint8)) == []


def test_importing_is_free_and_pillow_stays_strict_after_the_first_detection() -> None:
    # A fresh interpreter: face_recognition loads once per process and flips a Pillow global.
    script = (
        "import sys, numpy as np\n"
        "from PIL import ImageFile\n"
        "import handlers.face_matching as fm\n"
        "assert 'face_recognition' not in sys.modules\n"
        "fm.detect_faces(np.zeros((32, 32, 3), np.uint8))\n"
        "assert 'face_recognition' in sys.modules\n"
        "assert ImageFile.LOAD_TRUNCATED_IMAGES is False\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def obama() -> npt.NDArray[np.uint8]:
    return rgb_of(TEST_IMAGES / "obama.jpg")


@pytest.fixture(scope="module")
def obama_faces(obama: npt.NDArray[np.uint8]) -> list[DetectedFace]:
    return detect_faces(obama)


@pytest.mark.media
@needs_media
def test_obama_is_found_where_face_recognition_finds_him(
    obama_faces: list[DetectedFace],
) -> None:
    truth = json.loads((FACES / "face_detection_expected.json").read_text(encoding="utf-8"))
    expected = truth["tests/test_images/obama.jpg"]["hog_face_location"]
    assert len(obama_faces) == 1
    box = obama_faces[0].box
    found = (box.top, box.right, box.bottom, box.left)
    assert all(abs(f - e) <= 10 for f, e in zip(found, expected, strict=True)), found
    assert len(obama_faces[0].encoding) == 128


@pytest.mark.media
@needs_media
def test_obama_and_biden_are_further_apart_than_the_tolerance(
    obama_faces: list[DetectedFace],
) -> None:
    (biden,) = detect_faces(rgb_of(TEST_IMAGES / "biden.jpg"))
    distance = np.linalg.norm(np.subtract(obama_faces[0].encoding, biden.encoding))
    assert distance > 0.6
    references = ReferenceSet(["Joe Biden"], [biden.encoding])
    assert references.match(obama_faces[0].encoding).character is None


@pytest.mark.media
@pytest.mark.skipif(not NO_FACE_PHOTO.is_file(), reason=f"photo not found at {NO_FACE_PHOTO}")
def test_a_photo_without_a_face_gives_no_face() -> None:
    assert detect_faces(rgb_of(NO_FACE_PHOTO)) == []


@pytest.mark.media
@needs_media
def test_a_strided_view_is_detected_like_the_picture_itself(
    obama: npt.NDArray[np.uint8], obama_faces: list[DetectedFace]
) -> None:
    height, width, _ = obama.shape
    padded = np.zeros((height, width + 16, 3), np.uint8)
    padded[:, :width] = obama
    view = padded[:, :width]
    assert not view.flags.c_contiguous
    assert detect_faces(view) == obama_faces
