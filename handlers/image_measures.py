"""Numbers measured on a grey picture: sharpness, exposure, flatness and a perceptual hash.

The decode pass, the quality stage and the evaluation all call these same functions on a
grey image reduced the same way (`working_grey`), so a score means the same thing wherever
it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import cv2
import imagehash
import numpy as np
import numpy.typing as npt
from PIL import Image

from handlers.content_area import content_of
from handlers.pillow_loading import strict_loading

Grey = npt.NDArray[np.uint8]

# Width the measures work at: enough for edges to show, small enough to cost little per frame.
WORKING_WIDTH = 320
# A pixel within this many levels of the picture's median counts as part of a flat area.
FLAT_TOLERANCE = 10


@dataclass(frozen=True)
class PictureMeasures:
    sharpness: float  # how steep the edges are, 0-4 (see `sharpness`): higher is sharper
    brightness: float  # mean luma, 0-255
    flat_fraction: float  # share of the picture within FLAT_TOLERANCE of its median
    phash: int  # 64-bit perceptual hash (imagehash.phash), as an unsigned int


def subsample_step(width: int, target: int = WORKING_WIDTH) -> int:
    return max(1, width // target)


def working_grey(grey: Grey, target: int = WORKING_WIDTH) -> Grey:
    """Every n-th sample in both directions: no filtering, so it costs next to nothing."""
    step = subsample_step(grey.shape[1], target)
    return grey[::step, ::step]


def sharpness(grey: Grey) -> float:
    """How steep the picture's edges are, whatever their number or contrast: blur, not texture.

    In each direction, the energy of the second difference over that of the first (the mean
    squared frequency of the picture's gradients). More edges or more contrast raise both
    alike, so a sharp close-up of smooth skin scores near a sharp textured wide shot, where
    the variance of the Laplacian put it with the blurred frames; blur takes the fine
    gradients first and lowers it (an edge blurred by a Gaussian of sigma pixels scores about
    1 / (2 sigma^2)). The lower direction counts, so that a pan's motion blur does. 0 for a
    flat picture, 2 for a sharp step edge, 3 for pixel noise, at most 4: noise reads as fine
    detail, so a noisy defocused photo keeps more of its score than its edges deserve.
    """
    pixels = grey.astype(np.int16)
    ratios = [r for r in (_fineness(pixels, 0), _fineness(pixels, 1)) if r is not None]
    return min(ratios, default=0.0)


def detail(grey: Grey) -> float:
    """How much sharp detail a picture has: the variance of its Laplacian.

    More edges, more contrast and less blur all raise it. Among the frames of one shot (one
    picture, steady or smeared by a pan, lit or fading) it finds the steady, fully lit one,
    where `sharpness` would take a fading frame whose few gradients have shrunk to rounding
    steps; across different pictures it tells texture more than blur.
    """
    laplacian = cv2.Laplacian(np.ascontiguousarray(grey), cv2.CV_16S, ksize=1)
    # E[x^2] - E[x]^2 from two whole-array reductions: half the time of cv2.meanStdDev.
    count = laplacian.size
    mean = cv2.sumElems(laplacian)[0] / count
    return float(cv2.norm(laplacian, cv2.NORM_L2SQR)) / count - mean * mean


def _fineness(pixels: npt.NDArray[np.int16], axis: int) -> float | None:
    """Second-difference over first-difference energy along `axis`; None where it is flat."""
    first = np.diff(pixels, axis=axis)
    gradient_energy = float(cv2.norm(first, cv2.NORM_L2SQR))
    if gradient_energy == 0.0:
        return None
    return float(cv2.norm(np.diff(first, axis=axis), cv2.NORM_L2SQR)) / gradient_energy


def flat_fraction(grey: Grey) -> float:
    median = float(np.median(grey))
    near = np.abs(grey.astype(np.int16) - int(median)) <= FLAT_TOLERANCE
    return float(np.count_nonzero(near)) / near.size


def perceptual_hash(grey: Grey) -> int:
    return int(str(imagehash.phash(Image.fromarray(np.ascontiguousarray(grey)))), 16)


def measure(grey: Grey) -> PictureMeasures:
    """All four measures of an already reduced grey picture (see `working_grey`).

    All four are of the picture inside its uniform borders (see content_area); the hash too,
    as two different small portraits on black are mostly black and would hash alike, while
    the same picture with other borders is the duplicate it looks.
    """
    content = content_of(grey)
    return PictureMeasures(
        sharpness=round(sharpness(content), 2),
        brightness=round(float(content.mean()), 2),
        flat_fraction=round(flat_fraction(content), 4),
        phash=perceptual_hash(content),
    )


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def grey_of_file(path: str) -> Grey:
    """Read an image file as grey; raises ValueError with the reason when it cannot."""
    return _picture_of_file(path, "L")


def rgb_of_file(path: str | BinaryIO) -> npt.NDArray[np.uint8]:
    """Read an image file as RGB; raises ValueError with the reason when it cannot."""
    return _picture_of_file(path, "RGB")


def _picture_of_file(path: str | BinaryIO, mode: str) -> npt.NDArray[np.uint8]:
    try:
        with strict_loading(), Image.open(path) as image:
            return np.asarray(image.convert(mode), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"unreadable image: {exc}") from exc
