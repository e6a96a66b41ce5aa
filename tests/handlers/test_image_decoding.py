"""read_image on good pictures of every kind users drop: formats, orientation, colour, alpha,
animation, scaling. Each file is written here (Pillow, or byte by byte in image_files)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageCms, ImageOps, features

from handlers.image_decoding import DecodedImage, ImageLimits, read_image
from tests.handlers.image_files import (
    noise_jpeg,
    png_bytes,
    rgb16_png,
    swapped_primaries_profile,
    with_exif_block,
    write,
)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
LIMITS = ImageLimits()


def halves(width: int = 96, height: int = 64, mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue."""
    picture = Image.new("RGB", (width, height), BLUE)
    picture.paste(RED, (0, 0, width // 2, height))
    return picture.convert(mode)


def saved(path: Path, picture: Image.Image, kind: str, **options: object) -> DecodedImage:
    picture.save(path, kind, **options)
    return read_image(path, LIMITS)


def near(pixel: npt.NDArray[np.uint8], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return bool(np.abs(pixel.astype(int) - np.array(expected)).max() <= tolerance)


GOOD_FORMATS = [
    ("JPEG", ".jpg", {"quality": 95}),
    ("PNG", ".png", {}),
    ("WEBP", ".webp", {"lossless": True}),
    ("BMP", ".bmp", {}),
    ("TIFF", ".tif", {}),
    ("GIF", ".gif", {}),
    pytest.param(
        "AVIF",
        ".avif",
        {"quality": 95},
        marks=pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF"),
    ),
]


@pytest.mark.parametrize(("kind", "suffix", "options"), GOOD_FORMATS)
def test_each_common_format_decodes_to_rgb(
    tmp_path: Path, kind: str, suffix: str, options: dict[str, object]
) -> None:
    decoded = saved(tmp_path / f"picture{suffix}", halves(), kind, **options)
    assert (decoded.width, decoded.height, decoded.format) == (96, 64, kind)
    assert decoded.pixels.shape == (64, 96, 3) and decoded.pixels.dtype == np.uint8
    assert decoded.pixels.flags.c_contiguous
    assert near(decoded.pixels[32, 10], RED, 30) and near(decoded.pixels[32, 85], BLUE, 30)
    assert decoded.notes == ()


def test_exif_orientation_6_turns_a_landscape_jpeg_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape; turn 90 degrees clockwise to view
    decoded = saved(tmp_path / "phone.jpg", halves(), "JPEG", exif=exif, quality=95)
    assert (decoded.width, decoded.height) == (96, 64)  # as stored
    assert decoded.pixels.shape == (96, 64, 3)
    # The stored left (red) is the top once turned clockwise; the right (blue) the bottom.
    assert near(decoded.pixels[10, 32], RED) and near(decoded.pixels[85, 32], BLUE)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillows_exif_transpose(tmp_path: Path, orientation: int) -> None:
    corner = halves()
    corner.paste((0, 255, 0), (0, 0, 10, 10))  # marks one corner: each turn moves it
    exif = Image.Exif()
    exif[0x0112] = orientation
    decoded = saved(tmp_path / "turned.png", corner, "PNG", exif=exif)
    with Image.open(tmp_path / "turned.png") as stored:
        expected = np.asarray(ImageOps.exif_transpose(stored).convert("RGB"))
    assert np.array_equal(decoded.pixels, expected)


@pytest.mark.parametrize(
    "payload",
    [b"II*\x00\xff\xff\xff\x7f" + b"\x01" * 40, b"\xde\xad\xbe\xef" * 20],
    ids=["tiff-header-bad-offset", "no-tiff-header"],
)
def test_a_garbage_exif_block_leaves_the_photo_as_stored_with_a_note(
    tmp_path: Path, payload: bytes
) -> None:
    jpeg = with_exif_block(noise_jpeg(96, 64), payload)
    decoded = read_image(write(tmp_path / "odd.jpg", jpeg), LIMITS)
    assert decoded.pixels.shape == (64, 96, 3)
    assert any("EXIF unreadable" in note for note in decoded.notes), decoded.notes


def test_an_embedded_profile_is_applied(tmp_path: Path) -> None:
    profile = swapped_primaries_profile()
    picture = Image.new("RGB", (64, 64), (200, 0, 0))
    decoded = saved(tmp_path / "wide.png", picture, "PNG", icc_profile=profile)
    assert near(decoded.pixels[5, 5], (0, 0, 200), 6), decoded.pixels[5, 5]  # stored red is blue


def test_an_srgb_profile_changes_nothing(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = halves()
    decoded = saved(tmp_path / "srgb.png", picture, "PNG", icc_profile=srgb)
    assert np.array_equal(decoded.pixels, np.asarray(picture)) and decoded.notes == ()


def test_an_unreadable_profile_keeps_the_colours_with_a_note(tmp_path: Path) -> None:
    decoded = saved(tmp_path / "bad.png", halves(), "PNG", icc_profile=b"\x00junk" * 40)
    assert np.array_equal(decoded.pixels, np.asarray(halves()))
    assert any("colour profile unusable" in note for note in decoded.notes), decoded.notes


@pytest.mark.parametrize(("kind", "suffix"), [("JPEG", ".jpg"), ("TIFF", ".tif")])
def test_cmyk_becomes_rgb(tmp_path: Path, kind: str, suffix: str) -> None:
    # Pillow writes CMYK JPEGs inverted with an Adobe marker, as Photoshop does; TIFF plain.
    cyan = Image.new("CMYK", (64, 64), (255, 0, 0, 0))
    decoded = saved(tmp_path / f"print{suffix}", cyan, kind)
    assert near(decoded.pixels[5, 5], (0, 255, 255)), decoded.pixels[5, 5]


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = np.full((40, 40), 32768, dtype=np.uint16)
    decoded = saved(tmp_path / "deep.png", Image.fromarray(grey), "PNG")
    assert near(decoded.pixels[5, 5], (128, 128, 128), 1), decoded.pixels[5, 5]


def test_sixteen_bit_rgb_is_scaled(tmp_path: Path) -> None:
    decoded = read_image(write(tmp_path / "deep.png", rgb16_png(40, 40, 0x8000)), LIMITS)
    assert near(decoded.pixels[5, 5], (128, 128, 128), 1), decoded.pixels[5, 5]


def test_sixteen_bit_grey_with_alpha_decodes(tmp_path: Path) -> None:
    row = b"\x00" + b"\x80\x00\xff\xff" * 40  # grey 32768, opaque
    decoded = read_image(write(tmp_path / "la16.png", png_bytes(40, 40, 16, 4, row * 40)), LIMITS)
    assert near(decoded.pixels[5, 5], (128, 128, 128), 1), decoded.pixels[5, 5]


@pytest.mark.parametrize("mode", ["L", "1", "P"])
def test_grey_bilevel_and_palette_pictures_decode(tmp_path: Path, mode: str) -> None:
    picture = halves().convert("L").convert(mode) if mode != "P" else halves().convert("P")
    decoded = saved(tmp_path / "plain.png", picture, "PNG")
    expected = np.asarray(picture.convert("RGB"))
    assert np.array_equal(decoded.pixels, expected)


def test_half_transparent_red_comes_out_pink(tmp_path: Path) -> None:
    decoded = saved(tmp_path / "glass.png", Image.new("RGBA", (40, 40), (255, 0, 0, 128)), "PNG")
    assert near(decoded.pixels[5, 5], (255, 127, 127), 2), decoded.pixels[5, 5]
    assert "transparent: flattened onto white" in decoded.notes


def test_grey_with_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    decoded = saved(tmp_path / "la.png", Image.new("LA", (40, 40), (0, 0)), "PNG")
    assert near(decoded.pixels[5, 5], WHITE, 0)


@pytest.mark.parametrize("alphas", [b"\x00", b"\xff\x80"])
def test_palette_transparency_is_flattened_onto_white(tmp_path: Path, alphas: bytes) -> None:
    picture = Image.new("P", (40, 40), 0)
    picture.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    picture.paste(1, (20, 0, 40, 40))
    # One transparent entry (index 0), or per-entry alphas: 0 opaque, 1 half transparent.
    decoded = saved(tmp_path / "sticker.png", picture, "PNG", transparency=alphas)
    left, right = decoded.pixels[5, 5], decoded.pixels[5, 30]
    if alphas == b"\x00":
        assert near(left, WHITE, 0) and near(right, BLUE, 0)
    else:
        assert near(left, RED, 0) and near(right, (127, 127, 255), 2), (left, right)


@pytest.mark.parametrize(("kind", "suffix"), [("GIF", ".gif"), ("WEBP", ".webp"), ("PNG", ".png")])
def test_an_animation_gives_its_first_frame(tmp_path: Path, kind: str, suffix: str) -> None:
    frames = [Image.new("RGB", (48, 48), colour) for colour in (RED, BLUE, (0, 255, 0))]
    decoded = saved(
        tmp_path / f"moving{suffix}", frames[0], kind, save_all=True, append_images=frames[1:]
    )
    assert near(decoded.pixels[5, 5], RED, 20), decoded.pixels[5, 5]
    assert "animated (3 frames): the first is taken" in decoded.notes


def test_a_multipage_tiff_gives_its_first_page(tmp_path: Path) -> None:
    pages = [Image.new("RGB", (48, 48), colour) for colour in (BLUE, RED)]
    decoded = saved(tmp_path / "scan.tif", pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert near(decoded.pixels[5, 5], BLUE, 0) and "2 pages: the first is taken" in decoded.notes


@pytest.mark.parametrize(("orientation", "shape"), [(1, (683, 2048, 3)), (6, (2048, 683, 3))])
def test_the_longest_side_is_scaled_to_max_side_after_turning(
    tmp_path: Path, orientation: int, shape: tuple[int, int, int]
) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    decoded = saved(tmp_path / "wide.jpg", halves(3000, 1000), "JPEG", exif=exif)
    assert decoded.pixels.shape == shape and (decoded.width, decoded.height) == (3000, 1000)
    assert decoded.pixels.flags.c_contiguous


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "CMYK"])
def test_a_scaled_picture_keeps_its_profile_and_alpha(tmp_path: Path, mode: str) -> None:
    # Scaled before its colour work: the profile and the alpha must survive the resize.
    profile = swapped_primaries_profile() if mode != "CMYK" else None
    colour = {"RGB": (200, 0, 0), "RGBA": (200, 0, 0, 128), "CMYK": (255, 0, 0, 0)}[mode]
    expected = {"RGB": (0, 0, 200), "RGBA": (127, 127, 227), "CMYK": (0, 255, 255)}[mode]
    picture = Image.new(mode, (3000, 100), colour)
    options = {"icc_profile": profile} if profile else {}
    decoded = saved(tmp_path / "long.tif", picture, "TIFF", **options)
    assert decoded.pixels.shape == (68, 2048, 3)
    assert near(decoded.pixels[30, 1000], expected, 8), decoded.pixels[30, 1000]


def test_each_read_is_the_same_picture(tmp_path: Path) -> None:
    path = write(tmp_path / "twice.jpg", noise_jpeg(200, 100))
    first, second = (read_image(path, LIMITS).pixels for _ in range(2))
    with Image.open(io.BytesIO(path.read_bytes())) as plain:
        reference = np.asarray(plain.convert("RGB"))
    assert all(np.array_equal(a, b) for a, b in itertools.pairwise([first, second, reference]))
