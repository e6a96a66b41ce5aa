"""read_image on what is no usable picture: each is rejected with a one-line reason that names
the problem, before decoding where the header already tells; and on very large pictures."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from handlers.image_decoding import ImageLimits, ImageRejectedError, read_image
from handlers.image_formats import IsoKind, iso_kind
from tests.fresh_processes import run_one
from tests.handlers.image_files import noise_jpeg, png_bytes, solid_grey_jpeg, write
from tests.syscall_kills import STRACE, strace_problem

LIMITS = ImageLimits()
READ_ONE = """
import sys
from pathlib import Path
from handlers.image_decoding import ImageLimits, ImageRejectedError, read_image
try:
    read_image(Path(sys.argv[1]), ImageLimits())
    print("decoded")
except ImageRejectedError as exc:
    print("rejected:", exc.reason)
except OSError as exc:
    print("OSError errno", exc.errno)
"""


def rejection(path: Path, limits: ImageLimits = LIMITS) -> str:
    with pytest.raises(ImageRejectedError) as caught:
        read_image(path, limits)
    reason = caught.value.reason
    assert "\n" not in reason and reason.isprintable() and len(reason) < 400, reason
    return reason


def test_a_png_stating_50000x50000_is_rejected_before_decoding(tmp_path: Path) -> None:
    # The header alone: no IDAT worth decoding, so a decoding attempt would fail otherwise.
    bomb = write(tmp_path / "bomb.png", png_bytes(50_000, 50_000, 8, 2, b"\x00" * 64))
    reason = rejection(bomb)
    assert "decompression bomb" in reason
    assert "2,500,000,000 pixels" in reason and "178,956,970" in reason


def test_the_configured_limit_refuses_below_pillows_own(tmp_path: Path) -> None:
    Image.new("RGB", (200, 200)).save(tmp_path / "big.png")
    reason = rejection(tmp_path / "big.png", ImageLimits(max_pixels=10_000))
    assert "40,000 pixels, over the limit of 10,000" in reason


def test_a_20000_square_jpeg_is_decoded_reduced(tmp_path: Path) -> None:
    decoded = read_image(write(tmp_path / "poster.jpg", solid_grey_jpeg(20_000, 20_000)), LIMITS)
    assert (decoded.width, decoded.height, decoded.format) == (20_000, 20_000, "JPEG")
    assert decoded.pixels.shape == (2048, 2048, 3)
    assert np.abs(decoded.pixels.astype(int) - 128).max() <= 1


def test_a_20000_square_png_is_rejected_as_too_large(tmp_path: Path) -> None:
    reason = rejection(write(tmp_path / "poster.png", png_bytes(20_000, 20_000, 8, 2, b"\0")))
    assert "400,000,000 pixels, over the limit of 178,956,970" in reason


def test_a_progressive_jpeg_is_held_to_the_pixel_limit(tmp_path: Path) -> None:
    # Progressive decoding keeps the full size's coefficients whatever the scale (785 MB peak
    # for 20000x20000): the same picture baseline is decoded at 1/8, progressive refused.
    limits = ImageLimits(max_pixels=100_000, max_side=64)
    baseline = write(tmp_path / "baseline.jpg", noise_jpeg(640, 480))
    assert read_image(baseline, limits).pixels.shape == (48, 64, 3)
    progressive = write(tmp_path / "progressive.jpg", noise_jpeg(640, 480, progressive=True))
    reason = rejection(progressive, limits)
    assert "307,200 pixels" in reason and "progressive" in reason


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_file_cut_short_is_rejected_not_padded(tmp_path: Path, kind: str) -> None:
    full = tmp_path / f"whole.{kind.lower()}"
    noise = np.random.default_rng(5).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(full, kind)
    cut = write(tmp_path / f"cut.{kind.lower()}", full.read_bytes()[: full.stat().st_size // 2])
    assert "truncated" in rejection(cut)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_png_cut_inside_its_header_says_it_is_damaged(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64)).save(tmp_path / "whole.png")
    cut = write(tmp_path / "cut.png", (tmp_path / "whole.png").read_bytes()[:20])
    reason = rejection(cut)
    assert "truncated or damaged" in reason and "PNG" in reason


def test_a_text_file_named_jpg_is_not_an_image_and_not_echoed(tmp_path: Path) -> None:
    text = write(tmp_path / "notes.jpg", b"\x1b[31mhello secret\r\n" * 50)
    reason = rejection(text)
    assert "not an image" in reason
    assert "secret" not in reason and "\x1b" not in reason


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n", "EPS"),
        (b"8BPS\x00\x01" + b"\x00" * 64, "PSD"),
    ],
)
def test_a_format_not_taken_is_refused_by_name(tmp_path: Path, content: bytes, named: str) -> None:
    # Pillow opens EPS with Ghostscript, a PostScript interpreter: never run on inbox files.
    reason = rejection(write(tmp_path / "photo.jpg", content))
    assert reason.startswith(f"{named} file: not a format taken (JPEG, PNG"), reason


def test_a_1x1_picture_is_too_small(tmp_path: Path) -> None:
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    assert rejection(tmp_path / "dot.png") == (
        "too small: 1x1 pixels; the least is 32 on each side"
    )


@pytest.mark.skipif(find_spec("pillow_heif") is not None, reason="pillow-heif installed")
@pytest.mark.parametrize(("brand", "named"), [(b"heic", "HEIC"), (b"mif1", "HEIF")])
def test_heic_without_a_decoder_names_the_package(tmp_path: Path, brand: bytes, named: str) -> None:
    header = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    reason = rejection(write(tmp_path / "IMG_0001.HEIC", header))
    assert reason.startswith(f"{named} image") and "pillow-heif" in reason


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"ftypheic", IsoKind.HEIC),
        (b"ftypmif1\x00\x00\x00\x00mif1heic", IsoKind.HEIF),
        (b"ftypavif\x00\x00\x00\x00avifmif1", IsoKind.AVIF),
        (b"ftypmif1\x00\x00\x00\x00mif1avif", IsoKind.AVIF),
        (b"ftypisom\x00\x00\x00\x00isomavc1", IsoKind.NONE),  # an MP4
    ],
)
def test_the_iso_brand_tells_heif_from_avif(head: bytes, kind: IsoKind) -> None:
    assert iso_kind(b"\x00\x00\x00\x20" + head + b"\x00" * 8) is kind


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    assert "empty" in rejection(write(tmp_path / "empty.png", b""))


@pytest.mark.parametrize("content", [b"x", b"no", b"abc"])
def test_a_file_of_a_few_bytes_is_not_an_image(tmp_path: Path, content: bytes) -> None:
    assert rejection(write(tmp_path / "tiny.jpg", content)) == (
        "not an image: Pillow cannot identify it"
    )


def test_a_folder_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "album.jpg").mkdir()
    assert "folder" in rejection(tmp_path / "album.jpg")


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs on Windows")
def test_a_fifo_is_rejected_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    assert "FIFO" in rejection(tmp_path / "pipe.jpg")


def test_a_loop_of_links_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").symlink_to(tmp_path / "b.jpg")
    (tmp_path / "b.jpg").symlink_to(tmp_path / "a.jpg")
    assert "symbolic links" in rejection(tmp_path / "a.jpg")


def test_a_broken_links_target_is_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").symlink_to(tmp_path / "gone\x1b[2J.jpg")
    reason = rejection(tmp_path / "photo.jpg")
    assert "broken symbolic link" in reason and "\\x1b[2J" in reason


def test_a_file_gone_is_no_verdict(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "gone.jpg", LIMITS)


@pytest.mark.skipif(strace_problem() is not None, reason=str(strace_problem()))
def test_an_io_error_while_decoding_is_no_verdict_on_the_picture(tmp_path: Path) -> None:
    # strace makes the file's third read fail with EIO (a failing disk or share), inside
    # Pillow's decoding: the caller gets the OSError to retry, not a rejection of the photo.
    noise = np.random.default_rng(1).integers(0, 256, (600, 800, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "photo.png")
    inject = ["-P", str(tmp_path / "photo.png"), "-e", "trace=read"]
    command = [
        STRACE,
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        *inject,
        "-e",
        "inject=read:error=EIO:when=3",
    ]
    finished = run_one([*command, sys.executable, "-c", READ_ONE, str(tmp_path / "photo.png")])
    assert finished.output.strip() == "OSError errno 5", finished.describe()
