"""One still image file to a normalised picture (H x W x 3 uint8 sRGB), or a clear rejection.

`read_image` opens the file as every inbox file is opened (`open_inbox_file`: no FIFO, device
or folder) and takes JPEG, PNG, GIF, WebP, TIFF, BMP, AVIF, JPEG 2000 and PPM, and HEIC/HEIF
when pillow-heif is installed (image_formats: another format is refused by name). It checks
the size the header states before a pixel is decoded: a picture
under `min_side` on a side, or over `max_pixels` in all (a decompression bomb: a few hundred
kilobytes of PNG can state 50000x50000), is rejected undecoded. A large JPEG is decoded
straight at 1/2, 1/4 or 1/8 of its size (`draft`), so a 20000x20000 photo costs the memory
of 2500x2500 and is taken; a progressive JPEG keeps every coefficient of the full size while
it decodes, whatever the scale, so it is held to `max_pixels` like any other format.

What is decoded is made upright (EXIF orientation), turned into sRGB (embedded ICC profile,
CMYK, 16-bit, grey, palette) with transparency flattened onto white (see image_modes), and
scaled so its longest side is at most `max_side`. An animated GIF, WebP or PNG gives its
first frame, a multi-page TIFF its first page, each with a note. A file cut short is
rejected, never padded with grey, even after face_recognition asked Pillow to (pillow_loading).
A file that vanishes meanwhile raises FileNotFoundError, and an I/O error of the disk or the
share (EIO...) its OSError, as no verdict on the picture: the caller retries or lets it go.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
from PIL import Image, JpegImagePlugin, UnidentifiedImageError

from daemon.display_text import shown
from daemon.failure_policy import is_transient
from daemon.intake.inbox_open import UnusableFileError, open_inbox_file, sha256_of_handle
from handlers.base import RejectedInputError
from handlers.image_formats import (
    HEAD_BYTES,
    TAKEN_FORMATS,
    iso_kind,
    missing_decoder,
    refused_format,
    signature_of,
    taken_formats,
)
from handlers.image_modes import UnsupportedModeError, to_srgb
from handlers.image_orientation import upright
from handlers.pillow_loading import strict_loading

# What Pillow's plugins raise on damaged data: more than OSError, depending on where it breaks.
PILLOW_FAILURES = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)
ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF", "HEIF"})
PAGED_FORMATS = frozenset({"TIFF"})
SCALED_AS_THEY_ARE = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
REASON_LIMIT = 400  # a reason that names a path (a link's target) is cut there
_BOMB_NUMBERS = re.compile(r"\((\d+) pixels\).*?limit of (\d+)")


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 178_956_970  # Pillow's own error threshold (2 x Image.MAX_IMAGE_PIXELS)
    min_side: int = 32  # smaller than this on either side: rejected
    max_side: int = 2048  # the normalised picture's longest side, at most


@dataclass(frozen=True)
class DecodedImage:
    pixels: npt.NDArray[np.uint8]  # H x W x 3, sRGB, C-contiguous, longest side <= max_side
    width: int  # of the file as stored, before orientation and scaling
    height: int
    format: str  # Pillow's format name: JPEG, PNG, WEBP, GIF, TIFF, BMP, HEIF...
    notes: tuple[str, ...]  # what was done that a user may want to know


class ImageRejectedError(RejectedInputError):
    """The file is no usable picture; `.reason` (one line) says why."""


class ImageChangedError(Exception):
    """The file no longer holds the bytes it was taken with: it was replaced since."""


def read_image(path: Path, limits: ImageLimits, sha256: str = "") -> DecodedImage:
    """The picture in the file at `path`; ImageRejectedError when there is none to take.
    `sha256`: the bytes expected, checked on the open file the picture is then decoded from
    (ImageChangedError when it holds others), so no swap can come between the two."""
    try:
        with open_inbox_file(path) as opened:
            if sha256 and sha256_of_handle(opened.handle) != sha256:
                raise ImageChangedError(f"{path} no longer holds the bytes it was taken with")
            opened.handle.seek(0)
            return _decode(opened.handle, limits)
    except UnusableFileError as exc:
        raise ImageRejectedError(shown(str(exc), REASON_LIMIT)) from exc


def _decode(handle: BinaryIO, limits: ImageLimits) -> DecodedImage:
    head = handle.read(HEAD_BYTES)
    missing = missing_decoder(iso_kind(head))
    if missing is not None:
        raise ImageRejectedError(missing)
    handle.seek(0)
    notes: list[str] = []
    try:
        with _open(handle, head) as image:
            width, height = image.size
            _check_size(image, limits)
            with strict_loading():
                image.load()
            notes.extend(_frames_note(image))
            orientation = upright(image, notes)
            picture = _normalised(image, limits.max_side, notes)
            pixels = np.ascontiguousarray(orientation(picture), dtype=np.uint8)
            return DecodedImage(pixels, width, height, image.format or "?", tuple(notes))
    except Image.DecompressionBombError as exc:
        raise ImageRejectedError(_pillow_bomb_reason(exc)) from exc
    except UnsupportedModeError as exc:
        raise ImageRejectedError(f"unsupported picture: {exc}") from exc
    except PILLOW_FAILURES as exc:
        if isinstance(exc, OSError) and is_transient(exc):
            raise
        raise ImageRejectedError(_damaged(head, shown(str(exc) or repr(exc)))) from exc


def _open(handle: BinaryIO, head: bytes) -> Image.Image:
    """The picture, its header read; a JPEG opened past Pillow's own pixel limit, which is
    checked here after the reduced decoding is set (Pillow would refuse a 20000x20000 photo
    it can decode at an eighth of its size)."""
    try:
        if signature_of(head) == "JPEG":
            return JpegImagePlugin.jpeg_factory(handle)
        return Image.open(handle, formats=taken_formats())
    except UnidentifiedImageError:
        refused = refused_format(head)
        if refused is not None:
            taken = ", ".join(["JPEG", *TAKEN_FORMATS])
            raise ImageRejectedError(f"{refused} file: not a format taken ({taken})") from None
        if signature_of(head) is None:
            raise ImageRejectedError("not an image: Pillow cannot identify it") from None
        raise ImageRejectedError(_damaged(head, "its format is not recognised")) from None


def _check_size(image: Image.Image, limits: ImageLimits) -> None:
    width, height = image.size
    if min(width, height) < limits.min_side:
        raise ImageRejectedError(
            f"too small: {width}x{height} pixels; the least is {limits.min_side} on each side"
        )
    if isinstance(image, JpegImagePlugin.JpegImageFile) and not image.info.get("progressive"):
        scale = min(1.0, limits.max_side / max(width, height))
        image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    if image.width * image.height > limits.max_pixels:
        reason = _bomb_reason(width * height, limits.max_pixels)
        if image.info.get("progressive"):
            reason += " (a progressive JPEG takes its full size in memory at any scale)"
        raise ImageRejectedError(reason)


def _damaged(head: bytes, detail: str) -> str:
    claimed = signature_of(head)
    what = f"a {claimed} file" if claimed else "a file"
    return f"truncated or damaged: {what} that Pillow cannot read ({detail})"


def _bomb_reason(pixels: int, limit: int) -> str:
    return (
        f"a decompression bomb or too large to open safely: {pixels:,} pixels, "
        f"over the limit of {limit:,}"
    )


def _pillow_bomb_reason(exc: Image.DecompressionBombError) -> str:
    """Pillow refuses above twice its MAX_IMAGE_PIXELS when it opens a file (and a GIF frame
    as it reads it): its figures, in this module's words."""
    found = _BOMB_NUMBERS.search(str(exc))
    if found is None:
        return f"a decompression bomb or too large to open safely: {shown(str(exc))}"
    return _bomb_reason(int(found.group(1)), int(found.group(2)))


def _frames_note(image: Image.Image) -> list[str]:
    frames = int(getattr(image, "n_frames", 1))
    if frames <= 1:
        return []
    if image.format in ANIMATED_FORMATS:
        return [f"animated ({frames} frames): the first is taken"]
    if image.format in PAGED_FORMATS:
        return [f"{frames} pages: the first is taken"]
    return []  # an MPO's further pictures (a phone's depth map, a preview) are not the photo


def _normalised(image: Image.Image, max_side: int, notes: list[str]) -> Image.Image:
    """sRGB RGB, scaled. A mode Pillow resizes as it is (alpha premultiplied) is scaled first:
    the colour work then runs on the small picture (an 8000x6000 RGBA PNG peaked at 655 MiB
    the other way round, 486 this way); a palette or a colour key would blur, so not those."""
    if image.mode in SCALED_AS_THEY_ARE and "transparency" not in image.info:
        return to_srgb(_scaled(image, max_side), notes)
    return _scaled(to_srgb(image, notes), max_side)


def _scaled(picture: Image.Image, max_side: int) -> Image.Image:
    longest = max(picture.size)
    if longest <= max_side:
        return picture
    scale = max_side / longest
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
