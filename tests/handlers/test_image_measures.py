"""Picture measures on pictures drawn here, and on the real images in ../shared/media."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from evaluation.pictures import MIXED, blur_rows, dedup_rows, hash_folder
from handlers.image_measures import (
    WORKING_WIDTH,
    Grey,
    grey_of_file,
    hamming,
    measure,
    perceptual_hash,
    sharpness,
    working_grey,
)
from tests.conftest import SHARED_MEDIA

HEIGHT, WIDTH = 240, 320


def as_grey(image: object) -> Grey:
    """cv2's stubs type every result as a generic array; the pictures here are all uint8."""
    return np.asarray(image, dtype=np.uint8)


def textured(seed: int) -> Grey:
    """Smooth blobs for the layout plus a fine grain, like a photographed surface."""
    rng = np.random.default_rng(seed)
    blobs = rng.integers(0, 256, size=(HEIGHT // 8, WIDTH // 8), dtype=np.uint8)
    grain = rng.integers(0, 256, size=(HEIGHT // 2, WIDTH // 2), dtype=np.uint8)
    return as_grey(
        cv2.addWeighted(
            cv2.resize(blobs, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC),
            0.7,
            cv2.resize(grain, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST),
            0.3,
            0,
        )
    )


def scene(seed: int) -> Grey:
    """A 640x480 picture of large smooth shapes: what a perceptual hash sees of a photo."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(12, 16), dtype=np.uint8)
    return as_grey(cv2.resize(small, (640, 480), interpolation=cv2.INTER_CUBIC))


def motion_blurred(grey: Grey, length: int = 15) -> Grey:
    """A horizontal pan: each pixel averaged along a line, not in every direction."""
    kernel = np.zeros((length, length), dtype=np.float32)
    kernel[length // 2, :] = 1.0 / length
    return as_grey(cv2.filter2D(grey, -1, kernel))


def title_card() -> Grey:
    card = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    cv2.putText(card, "THE END", (110, 125), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
    return card


def test_sharp_texture_scores_above_its_defocused_copy() -> None:
    sharp = textured(1)
    assert sharpness(sharp) > 10 * sharpness(as_grey(cv2.GaussianBlur(sharp, (0, 0), 2)))


def test_sharp_texture_scores_above_its_motion_blurred_copy() -> None:
    sharp = textured(1)
    assert sharpness(sharp) > 5 * sharpness(motion_blurred(sharp))


def edge(contrast: int = 200) -> Grey:
    """One straight, perfectly sharp vertical edge across the picture."""
    picture = np.full((HEIGHT, WIDTH), 20, np.uint8)
    picture[:, WIDTH // 2 :] = 20 + contrast
    return picture


def smooth_face(count: int) -> Grey:
    """`count` smooth faces in a row: soft shading, crisp outlines, the rest one smooth tone."""
    picture = np.full((HEIGHT, WIDTH), 90, np.uint8)
    width = WIDTH // 4
    for index in range(count):
        centre = (width // 2 + index * width, HEIGHT // 2)
        cv2.ellipse(picture, centre, (width // 3, HEIGHT // 3), 0, 0, 360, 180, -1)
        cv2.circle(picture, (centre[0] - 10, centre[1] - 15), 5, 40, -1)
        cv2.circle(picture, (centre[0] + 10, centre[1] - 15), 5, 40, -1)
        cv2.line(picture, (centre[0] - 12, centre[1] + 25), (centre[0] + 12, centre[1] + 25), 60, 2)
    return picture


@pytest.mark.parametrize("sigma", [2.0, 3.0])
def test_an_edge_blurred_by_sigma_scores_one_over_two_sigma_squared(sigma: float) -> None:
    blurred = as_grey(cv2.GaussianBlur(edge(), (0, 0), sigma))
    assert sharpness(blurred) == pytest.approx(1 / (2 * sigma**2), rel=0.1)


def test_a_sharp_edge_scores_two_and_a_flat_picture_zero() -> None:
    assert sharpness(edge()) == pytest.approx(2.0)
    assert sharpness(np.full((HEIGHT, WIDTH), 77, np.uint8)) == 0.0


def test_the_number_of_edges_does_not_change_sharpness() -> None:
    # One smooth face or four: the variance of the Laplacian grew fourfold with the edges.
    one, four = sharpness(smooth_face(1)), sharpness(smooth_face(4))
    assert one == pytest.approx(four, rel=0.1)


def test_contrast_does_not_change_sharpness() -> None:
    assert sharpness(edge(contrast=50)) == pytest.approx(sharpness(edge(contrast=200)), rel=0.01)


def test_a_sharp_smooth_face_scores_near_sharp_texture_and_far_above_its_blurred_copy() -> None:
    face, texture = sharpness(smooth_face(1)), sharpness(textured(1))
    assert face > 0.5 * texture
    assert sharpness(as_grey(cv2.GaussianBlur(smooth_face(1), (0, 0), 2.5))) < 0.2 * face


def test_a_pan_lowers_sharpness_though_edges_along_it_stay_sharp() -> None:
    # Horizontal lines stay sharp under a horizontal pan; the blurred direction counts.
    stripes = np.zeros((HEIGHT, WIDTH), np.uint8)
    stripes[::8] = 200
    picture = cv2.add(stripes, smooth_face(4))
    assert sharpness(motion_blurred(picture)) < 0.2 * sharpness(picture)


def test_a_black_frame_is_all_flat() -> None:
    assert measure(np.zeros((HEIGHT, WIDTH), dtype=np.uint8)).flat_fraction == 1.0


def test_a_title_card_is_nearly_all_flat() -> None:
    assert measure(title_card()).flat_fraction > 0.97


def test_a_textured_picture_is_mostly_not_flat() -> None:
    assert measure(textured(2)).flat_fraction < 0.3


def test_brightness_is_the_mean_luma() -> None:
    assert measure(np.full((HEIGHT, WIDTH), 100, dtype=np.uint8)).brightness == 100.0
    half = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    half[:, : WIDTH // 2] = 255
    assert measure(half).brightness == 127.5


def test_working_grey_reduces_large_pictures_only() -> None:
    assert working_grey(scene(3)).shape == (240, 320)
    small = np.zeros((100, WORKING_WIDTH - 1), dtype=np.uint8)
    assert working_grey(small).shape == small.shape


def test_a_resized_copy_hashes_close_and_another_picture_far() -> None:
    original = scene(3)
    resized = as_grey(cv2.resize(original, (300, 300), interpolation=cv2.INTER_AREA))
    reference = perceptual_hash(working_grey(original))
    assert hamming(reference, perceptual_hash(working_grey(resized))) <= 2
    assert hamming(reference, perceptual_hash(working_grey(scene(4)))) > 20


def test_hash_is_a_64_bit_int() -> None:
    assert 0 <= perceptual_hash(scene(5)) < 2**64
    assert measure(scene(5)).phash == perceptual_hash(scene(5))


def test_a_picture_file_is_read_as_grey(tmp_path: Path) -> None:
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), cv2.cvtColor(scene(6), cv2.COLOR_GRAY2BGR))
    grey = grey_of_file(str(path))
    assert grey.dtype == np.uint8
    assert np.array_equal(grey, scene(6))


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_file_raises_value_error(tmp_path: Path, suffix: str) -> None:
    encoded = cv2.imencode(suffix, textured(7))[1].tobytes()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(encoded[: len(encoded) // 2])
    with pytest.raises(ValueError, match="unreadable image"):
        grey_of_file(str(path))


@pytest.mark.parametrize("content", [b"", b"not a picture at all" * 50])
def test_a_garbage_file_raises_value_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.jpg"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="unreadable image"):
        grey_of_file(str(path))


def test_a_missing_file_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unreadable image"):
        grey_of_file(str(tmp_path / "absent.jpg"))


needs_media = pytest.mark.skipif(
    not SHARED_MEDIA.exists(), reason=f"real images not found at {SHARED_MEDIA}"
)


@pytest.mark.media
@needs_media
def test_real_sharp_pictures_score_above_their_blurred_copies() -> None:
    rows = blur_rows(SHARED_MEDIA)
    assert len(rows) == 3
    assert [row for row in rows if not row.passed] == []


@pytest.mark.media
@needs_media
def test_real_duplicates_match_their_ground_truth() -> None:
    rows = dedup_rows(SHARED_MEDIA)
    assert len(rows) == 4
    assert [row for row in rows if row.passed is False] == []


@pytest.mark.media
@needs_media
def test_a_real_corrupt_file_is_reported_not_raised() -> None:
    hashed = hash_folder(SHARED_MEDIA / MIXED)
    assert hashed.unreadable["ukbench09268_corrupt.jpg"].startswith("unreadable image:")
    assert "ukbench09268.jpg" in hashed.hashes
