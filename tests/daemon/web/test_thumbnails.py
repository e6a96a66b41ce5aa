"""Thumbnails of library images: made once, remade when the image changes, never of a file
outside the library, and a clear error with no cache file for an image that cannot be read."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from daemon.web.thumbnails import (
    JPEG,
    NotInLibraryError,
    Thumbnails,
    UnusableImageError,
    best_format,
)

DATASET = Path("characters") / "anna" / "dataset"
ORIENTATION = 0x0112
ROTATE_90_CLOCKWISE = 6


def write_photo(path: Path, size: tuple[int, int], orientation: int | None = None) -> Path:
    """A JPEG whose left half is red and right half blue, with an EXIF orientation if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    photo = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(photo).rectangle((0, 0, size[0] // 2 - 1, size[1]), fill=(255, 0, 0))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    photo.save(path, "JPEG", quality=90, exif=exif)
    return path


def cached_files(library: Path) -> list[Path]:
    return [path for path in (library / ".cache").rglob("*") if path.is_file()]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    (tmp_path / "library").mkdir()
    return tmp_path / "library"


def test_made_once_then_served_from_the_cache(library: Path) -> None:
    write_photo(library / DATASET / "m1_0001.jpg", (1024, 768))
    thumbnails = Thumbnails(library)
    first = thumbnails.of(DATASET / "m1_0001.jpg")
    assert first.made
    assert first.path.is_relative_to(library / ".cache" / "thumbnails")
    assert first.media_type == best_format().media_type == "image/webp"
    with Image.open(first.path) as small:
        assert (small.format, small.size) == ("WEBP", (256, 192))
    written = first.path.stat()
    again = Thumbnails(library).of(DATASET / "m1_0001.jpg")  # a new process sees the cache too
    assert (again.path, again.made) == (first.path, False)
    assert (again.path.stat().st_mtime_ns, again.path.stat().st_ino) == (
        written.st_mtime_ns,
        written.st_ino,
    )
    assert cached_files(library) == [first.path]


def test_remade_when_the_image_changes_and_the_old_one_goes(library: Path) -> None:
    photo = write_photo(library / DATASET / "m1_0001.jpg", (1024, 768))
    thumbnails = Thumbnails(library)
    old = thumbnails.of(DATASET / "m1_0001.jpg")
    write_photo(photo, (600, 900))  # a hand edit: cropped to portrait
    later = photo.stat().st_mtime_ns + 1_000_000_000
    os.utime(photo, ns=(later, later))
    new = thumbnails.of(DATASET / "m1_0001.jpg")
    assert new.made
    assert new.path != old.path
    with Image.open(new.path) as small:
        assert small.size == (171, 256)
    assert cached_files(library) == [new.path]


def test_asked_at_once_by_many_requests_it_is_made_once(library: Path) -> None:
    write_photo(library / DATASET / "m1_0001.jpg", (2048, 1536))
    thumbnails = Thumbnails(library)
    start = threading.Barrier(8)

    def ask() -> tuple[Path, bool]:
        start.wait()
        made = thumbnails.of(DATASET / "m1_0001.jpg")
        return made.path, made.made

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(), range(8)))
    assert {path for path, _ in answers} == {answers[0][0]}
    assert sum(made for _, made in answers) == 1
    with Image.open(answers[0][0]) as small:
        small.load()
    assert cached_files(library) == [answers[0][0]]


def test_the_exif_orientation_is_applied(library: Path) -> None:
    write_photo(library / "reference.jpg", (400, 200), orientation=ROTATE_90_CLOCKWISE)
    made = Thumbnails(library).of(Path("reference.jpg"))
    with Image.open(made.path) as small:
        upright = small.convert("RGB")
    assert upright.size == (128, 256)
    red, blue = upright.getpixel((64, 60)), upright.getpixel((64, 196))
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 200 and red[2] < 60, red  # the left half of the file is on top
    assert blue[2] > 200 and blue[0] < 60, blue


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        ("../outside.jpg", "outside the library"),
        ("characters/../../outside.jpg", "outside the library"),
        ("OUTSIDE", "outside the library"),  # the absolute path of a file outside
        ("missing.jpg", "no such image in the library"),
        (".", "outside the library"),  # the library itself
        ("characters", "not a file"),
    ],
)
def test_refused_outside_the_library(library: Path, asked: str, refusal: str) -> None:
    outside = write_photo(library.parent / "outside.jpg", (64, 64))
    write_photo(library / "characters" / "inside.jpg", (64, 64))
    path = outside if asked == "OUTSIDE" else Path(asked)
    with pytest.raises(NotInLibraryError) as refused:
        Thumbnails(library).of(path)
    assert str(refused.value) == f"{path}: {refusal}"
    assert not (library / ".cache").exists()


def test_refused_through_a_link_out(library: Path, tmp_path: Path) -> None:
    private = write_photo(tmp_path / "private" / "photo.jpg", (64, 64))
    (library / DATASET).mkdir(parents=True)
    (library / DATASET / "linked.jpg").symlink_to(private)
    (library / "characters" / "bob").symlink_to(private.parent, target_is_directory=True)
    thumbnails = Thumbnails(library)
    for asked in (DATASET / "linked.jpg", Path("characters") / "bob" / "photo.jpg"):
        with pytest.raises(NotInLibraryError, match="outside the library"):
            thumbnails.of(asked)
    assert not (library / ".cache").exists()


def test_a_link_inside_the_library_is_followed(library: Path) -> None:
    write_photo(library / DATASET / "m1_0001.jpg", (300, 300))
    (library / "unknown").mkdir()
    (library / "unknown" / "same.jpg").symlink_to(library / DATASET / "m1_0001.jpg")
    thumbnails = Thumbnails(library)
    assert thumbnails.of(Path("unknown") / "same.jpg").made
    assert not thumbnails.of(DATASET / "m1_0001.jpg").made  # one image, one thumbnail


def test_a_truncated_image_is_a_clear_error_and_leaves_no_cache_file(library: Path) -> None:
    photo = write_photo(library / DATASET / "m1_0001.jpg", (1024, 768))
    photo.write_bytes(photo.read_bytes()[: photo.stat().st_size // 2])
    with pytest.raises(UnusableImageError, match=r"m1_0001\.jpg: not a readable image"):
        Thumbnails(library).of(DATASET / "m1_0001.jpg")
    assert cached_files(library) == []


def test_a_file_that_is_no_image_is_a_clear_error(library: Path) -> None:
    (library / DATASET).mkdir(parents=True)
    (library / DATASET / "m1_0001.txt").write_text("a woman with red hair")
    with pytest.raises(UnusableImageError, match="not a readable image"):
        Thumbnails(library).of(DATASET / "m1_0001.txt")
    assert cached_files(library) == []


def test_more_pixels_than_pillows_limit_are_refused(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_photo(library / "huge.jpg", (100, 100))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6_000)  # Pillow itself only warns up to 2x
    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(UnusableImageError, match=r"more than 6,000 pixels.*decompression bombs"),
    ):
        Thumbnails(library).of(Path("huge.jpg"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # and refuses above
    with pytest.raises(UnusableImageError, match=r"huge\.jpg: .*decompression bomb"):
        Thumbnails(library).of(Path("huge.jpg"))
    assert cached_files(library) == []


def test_transparency_is_kept_in_webp(library: Path) -> None:
    Image.new("RGBA", (300, 100), (0, 255, 0, 0)).save(library / "crop.png")
    made = Thumbnails(library).of(Path("crop.png"))
    with Image.open(made.path) as small:
        assert (small.mode, small.size) == ("RGBA", (256, 85))
        assert small.getpixel((10, 10))[3] == 0  # type: ignore[index]


def test_jpeg_where_webp_is_not_wanted(library: Path) -> None:
    write_photo(library / "frame.jpg", (2000, 1000))
    made = Thumbnails(library, longest_side=128, image_format=JPEG).of(Path("frame.jpg"))
    assert (made.path.suffix, made.media_type) == (".jpg", "image/jpeg")
    with Image.open(made.path) as small:
        assert (small.format, small.size) == ("JPEG", (128, 64))
