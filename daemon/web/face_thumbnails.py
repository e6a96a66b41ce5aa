"""Thumbnails of single faces for the unknown faces page: the face cut from its kept frame
with the margin cluster crops have, at most 256 px, made once and cached.

A face in no cluster (the noise bucket) has no crop file, so the crop is cut from the frame
here. The cache file, under `<library>/.cache/face-thumbnails/<movie-id>/`, is named by the
frame, the face's place in it, its box and the frame file's mtime and size: a face found
again elsewhere, or a frame written again, gets a new name. Where the library cannot be
written (`bunny web` as another user) the thumbnail is made each time instead.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from daemon.atomic import write_bytes_atomic
from daemon.characters.face_crops import face_crop_jpeg
from daemon.repository import FaceTile
from daemon.web.thumbnails import DEFAULT_SIDE

CACHE_FOLDER = Path(".cache") / "face-thumbnails"
JPEG_QUALITY = 85


@dataclass(frozen=True)
class FaceThumbnail:
    data: bytes
    media_type: str


class FaceThumbnails:
    def __init__(self, library: Path, longest_side: int = DEFAULT_SIDE) -> None:
        self._library, self._side = library, longest_side

    def of(self, face: FaceTile) -> FaceThumbnail | None:
        """None when its frame is gone or unreadable (the movie removed from the library)."""
        frame = self._library / "movies" / face.movie_key / "frames" / f"{face.frame}.jpg"
        try:
            stat = frame.stat()
        except OSError:
            return None
        box = face.box
        name = (
            f"{face.frame}_{face.number}_{box.top}-{box.right}-{box.bottom}-{box.left}_"
            f"{stat.st_mtime_ns}-{stat.st_size}.jpg"
        )
        cached = self._library / CACHE_FOLDER / face.movie_key / name
        try:
            return FaceThumbnail(cached.read_bytes(), "image/jpeg")
        except OSError:
            pass
        try:
            data = self._made(frame, face)
        except OSError:
            return None
        # Lost in a crash: made again. Where the library may not be written: not cached.
        with contextlib.suppress(OSError):
            write_bytes_atomic(cached, data, durable=False)
        return FaceThumbnail(data, "image/jpeg")

    def _made(self, frame: Path, face: FaceTile) -> bytes:
        with Image.open(io.BytesIO(face_crop_jpeg(frame, face.box))) as crop:
            crop.thumbnail((self._side, self._side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            crop.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
            return out.getvalue()
