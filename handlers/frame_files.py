"""Reading a kept frame back and encoding a picture as JPEG, as every stage does it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Picture = npt.NDArray[np.uint8]


def read_frame(path: Path) -> Picture:
    """A kept frame as BGR; a missing or broken file is an error, never a silent gap."""
    picture = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if picture is None:
        raise FileNotFoundError(f"kept frame {path} is missing or unreadable")
    return np.asarray(picture, dtype=np.uint8)


def jpeg_bytes(picture: Picture, quality: int, what: str) -> bytes:
    """`picture` (BGR) as JPEG; `what` names it in the error if the encoder fails."""
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {what}")
    return bytes(encoded.tobytes())


def frame_size(path: Path) -> tuple[int, int]:
    """(width, height) of a kept frame, from its header alone."""
    with Image.open(path) as image:
        return image.size
