"""Crops of stored faces: what cluster folders show and what adopted references are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from daemon.repository import StoredFace
from handlers.face_matching import FaceBox
from handlers.frame_files import jpeg_bytes, read_frame

# A crop shows the face with this share of its size around it.
CROP_MARGIN = 0.5
CROP_JPEG_QUALITY = 95


def crop_name(movie_key: str, face: StoredFace) -> str:
    return f"{movie_key}_{face.frame}_{face.number}.jpg"


def face_crop_jpeg(frame_path: Path, box: FaceBox) -> bytes:
    crop = _with_margin(read_frame(frame_path), box)
    return jpeg_bytes(crop, CROP_JPEG_QUALITY, f"a face of {frame_path}")


def _with_margin(picture: npt.NDArray[np.uint8], box: FaceBox) -> npt.NDArray[np.uint8]:
    height, width = picture.shape[:2]
    dx, dy = round(box.width * CROP_MARGIN), round(box.height * CROP_MARGIN)
    top, bottom = max(0, box.top - dy), min(height, box.bottom + dy)
    left, right = max(0, box.left - dx), min(width, box.right + dx)
    return picture[top:bottom, left:right]
