"""Small thumbnails of library images for the review page's grids, made once and cached.

A thumbnail lives under `<library>/.cache/thumbnails/<ab>/` and is named by the sha1 of the
image's path in the library, its longest side, and the image's mtime_ns and byte size when it
was made: an image that changes gets a new name, so a stale thumbnail is never served, and the
old one is removed when the new one is written. Reading a cached thumbnail costs a stat.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, features

from daemon.atomic import write_bytes_atomic

DEFAULT_SIDE = 256
CACHE_FOLDER = Path(".cache") / "thumbnails"
# Two makers of one thumbnail would share write_bytes_atomic's fixed temporary name.
LOCK_STRIPES = 64


class ThumbnailError(Exception):
    """No thumbnail can be made; the message names the image as it was asked for."""


class NotInLibraryError(ThumbnailError):
    """The path is outside the library (`..`, absolute, a link out), missing, or not a file."""


class UnusableImageError(ThumbnailError):
    """The file is not a readable image: truncated, another kind of file, or too many pixels."""


@dataclass(frozen=True)
class ThumbnailFormat:
    pillow_name: str
    suffix: str
    media_type: str
    keeps_alpha: bool
    quality: int


WEBP = ThumbnailFormat("WEBP", ".webp", "image/webp", keeps_alpha=True, quality=80)
JPEG = ThumbnailFormat("JPEG", ".jpg", "image/jpeg", keeps_alpha=False, quality=85)


def best_format() -> ThumbnailFormat:
    """WebP where this Pillow was built with it (smaller at the same quality), else JPEG."""
    return WEBP if features.check("webp") else JPEG


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    media_type: str
    made: bool  # False: it came from the cache


class Thumbnails:
    """The thumbnails of one library's images, each made once and remade when its image changes."""

    def __init__(
        self,
        library: Path,
        longest_side: int = DEFAULT_SIDE,
        cache: Path | None = None,
        image_format: ThumbnailFormat | None = None,
    ) -> None:
        """`cache` elsewhere than under the library: for a library this process cannot write."""
        self._library = library.resolve()
        self._cache = cache if cache is not None else self._library / CACHE_FOLDER
        self._side = longest_side
        self._format = image_format or best_format()
        self._locks = tuple(threading.Lock() for _ in range(LOCK_STRIPES))

    def of(self, image: Path) -> Thumbnail:
        """The thumbnail of `image`, a path relative to the library (or absolute, inside it)."""
        source = self._inside(image)
        where = source.relative_to(self._library).as_posix().encode()
        key = hashlib.sha1(where, usedforsecurity=False).hexdigest()  # a name, not a secret
        with _open_no_follow(source, image) as handle:
            # The name comes from the open file: what is read is what the name describes.
            stat = os.fstat(handle.fileno())
            name = f"{key}-{self._side}-{stat.st_mtime_ns}-{stat.st_size}{self._format.suffix}"
            target = self._cache / key[:2] / name
            if target.is_file():
                return Thumbnail(target, self._format.media_type, made=False)
            with self._locks[int(key[:8], 16) % LOCK_STRIPES]:
                if target.is_file():
                    return Thumbnail(target, self._format.media_type, made=False)
                data = self._shrink(handle, image)
                # Not fsynced: a thumbnail lost in a crash is made again on the next request.
                write_bytes_atomic(target, data, durable=False)
                self._remove_older(target, f"{key}-{self._side}-")
        return Thumbnail(target, self._format.media_type, made=True)

    def _inside(self, image: Path) -> Path:
        try:
            resolved = (self._library / image).resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # missing, or a loop of links
            raise NotInLibraryError(f"{image}: no such image in the library") from exc
        if resolved == self._library or not resolved.is_relative_to(self._library):
            raise NotInLibraryError(f"{image}: outside the library")
        if not resolved.is_file():
            raise NotInLibraryError(f"{image}: not a file")
        return resolved

    def _shrink(self, handle: BinaryIO, image: Path) -> bytes:
        try:
            with Image.open(handle) as opened:
                _check_pixels(opened, image)
                scale = self._side / max(opened.size)
                # JPEG decodes straight at 1/2, 1/4 or 1/8 of its size: far less work.
                wanted = (max(1, round(opened.width * scale)), max(1, round(opened.height * scale)))
                opened.draft(None, wanted)
                upright = ImageOps.exif_transpose(opened)
                upright.thumbnail((self._side, self._side), Image.Resampling.LANCZOS)
                return self._encode(upright)
        except Image.DecompressionBombError as exc:
            raise UnusableImageError(f"{image}: {exc}") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnusableImageError(f"{image}: not a readable image ({exc})") from exc

    def _encode(self, picture: Image.Image) -> bytes:
        transparent = picture.mode in {"RGBA", "LA", "PA"} or "transparency" in picture.info
        mode = "RGBA" if transparent and self._format.keeps_alpha else "RGB"
        out = io.BytesIO()
        picture.convert(mode).save(out, self._format.pillow_name, quality=self._format.quality)
        return out.getvalue()

    @staticmethod
    def _remove_older(target: Path, prefix: str) -> None:
        for older in target.parent.glob(f"{prefix}*"):
            if older.name != target.name and not older.name.startswith("."):
                older.unlink(missing_ok=True)


def _check_pixels(opened: Image.Image, image: Path) -> None:
    """Pillow only warns between its limit and twice it; here the limit itself refuses."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and opened.width * opened.height > limit:
        raise UnusableImageError(
            f"{image}: {opened.width}x{opened.height} is more than {limit:,} pixels, "
            "Pillow's limit against decompression bombs: not decoded"
        )


def _open_no_follow(source: Path, image: Path) -> BinaryIO:
    """Open the resolved file, refusing a link put in its place since it was resolved."""
    try:
        descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise NotInLibraryError(f"{image}: no such image in the library") from exc
    return os.fdopen(descriptor, "rb")
