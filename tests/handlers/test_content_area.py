"""The picture inside a frame's uniform borders, and the measures taken on it."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from daemon.config import QualityConfig
from handlers.content_area import content_box
from handlers.image_measures import hamming, measure
from handlers.letterbox import CropBox
from tests.slideshows import portrait

Grey = npt.NDArray[np.uint8]
WIDTH, HEIGHT = 320, 180


def photo(seed: int, width: int, height: int) -> Grey:
    """Smooth blobs with fine grain: a sharp photo's layout and edges."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(9, 16), dtype=np.uint8)
    grey = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.add(grey, rng.integers(0, 60, size=grey.shape, dtype=np.uint8))


def on_background(picture: Grey, tone: int, left: int, top: int) -> Grey:
    frame = np.full((HEIGHT, WIDTH), tone, np.uint8)
    frame[top : top + picture.shape[0], left : left + picture.shape[1]] = picture
    return frame


def test_a_photo_centred_on_black_is_boxed() -> None:
    frame = on_background(photo(1, 160, 90), 16, 80, 45)
    assert content_box(frame) == CropBox(80, 45, 160, 90)


def test_a_photo_centred_on_grey_is_boxed() -> None:
    frame = on_background(photo(2, 120, 80), 128, 100, 50)
    assert content_box(frame) == CropBox(100, 50, 120, 80)


def test_bars_on_top_and_bottom_and_pillars_on_the_sides_are_left_out() -> None:
    letterboxed = on_background(photo(3, WIDTH, 140), 16, 0, 20)
    assert content_box(letterboxed) == CropBox(0, 20, WIDTH, 140)
    pillarboxed = on_background(photo(4, 240, HEIGHT), 16, 40, 0)
    assert content_box(pillarboxed) == CropBox(40, 0, 240, HEIGHT)


def test_a_full_frame_picture_is_whole() -> None:
    assert content_box(photo(5, WIDTH, HEIGHT)) == CropBox(0, 0, WIDTH, HEIGHT)


def test_a_flat_band_on_one_side_only_is_part_of_the_picture() -> None:
    sky = photo(6, WIDTH, HEIGHT)
    sky[:50] = 200
    assert content_box(sky) == CropBox(0, 0, WIDTH, HEIGHT)


def test_a_line_of_text_on_black_is_judged_whole() -> None:
    card = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.putText(card, "THE END", (110, 95), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
    assert content_box(card) == CropBox(0, 0, WIDTH, HEIGHT)
    assert measure(card).flat_fraction > 0.97


def test_a_small_photo_on_black_is_as_sharp_as_the_photo_itself() -> None:
    picture = photo(7, 160, 90)
    on_black = measure(on_background(picture, 16, 80, 45)).sharpness
    assert 0.9 < on_black / measure(picture).sharpness < 1.1


def test_a_bright_picture_between_dark_bars_is_as_bright_as_the_picture() -> None:
    picture = np.clip(photo(8, WIDTH, 60).astype(np.int16) + 40, 0, 255).astype(np.uint8)
    boxed = measure(on_background(picture, 16, 0, 60))
    assert abs(boxed.brightness - float(picture.mean())) < 0.5


def test_a_picture_on_a_uniform_background_is_not_flat() -> None:
    picture = photo(9, 110, 70)
    framed = measure(on_background(picture, 128, 105, 55))
    assert framed.flat_fraction == measure(picture).flat_fraction


def test_the_hash_is_of_the_picture_so_other_borders_do_not_hide_a_duplicate() -> None:
    picture = photo(10, 160, 90)
    assert measure(on_background(picture, 16, 80, 45)).phash == measure(picture).phash


def small_portrait_on_black(seed: int) -> Grey:
    """A 300 px portrait centred in a 1280x720 frame, as it is at the measures' width."""
    grey = cv2.cvtColor(portrait(seed, (75, 75)), cv2.COLOR_RGB2GRAY)
    return on_background(np.asarray(grey, dtype=np.uint8), 0, 122, 52)


def test_two_different_small_portraits_on_black_are_not_near_duplicates() -> None:
    # The whole frames differ by 6 bits, the quality stage's duplicate distance: mostly black.
    a, b = small_portrait_on_black(0), small_portrait_on_black(50)
    assert hamming(measure(a).phash, measure(b).phash) > QualityConfig().duplicate_distance


def caption_card(lines: list[tuple[str, tuple[int, int]]]) -> Grey:
    """Large white text on a flat tone, as an overlay counter or a credits card has."""
    card = np.full((HEIGHT, WIDTH), 100, np.uint8)
    for text, origin in lines:
        cv2.putText(card, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 3, cv2.LINE_AA)
    return card


def test_text_in_a_corner_of_a_flat_frame_is_judged_whole() -> None:
    card = caption_card([("Frame = 11", (140, 130)), ("PTS = 1.0s", (150, 165))])
    assert content_box(card) == CropBox(0, 0, WIDTH, HEIGHT)
    assert measure(card).flat_fraction > 0.9


def test_centred_lines_of_text_on_a_flat_frame_are_judged_whole() -> None:
    card = caption_card([("DIRECTED BY", (60, 80)), ("SOMEONE", (90, 120))])
    assert content_box(card) == CropBox(0, 0, WIDTH, HEIGHT)
    assert measure(card).flat_fraction > 0.9


def test_a_photo_whose_dark_edge_runs_into_a_black_surround_is_boxed() -> None:
    # Dark hair or a shadow along one side of a portrait: its first columns are mostly of the
    # surround's tone, as in the Johns of ../shared/media/faces/johns shown on black.
    picture = photo(11, 120, 90)
    picture[:60, :10] = 20
    frame = on_background(picture, 16, 100, 45)
    assert content_box(frame) == CropBox(100, 45, 120, 90)
    assert measure(frame).flat_fraction < 0.5
