"""`probe` for a part of an image batch: each image read once, made a frame, and measured.

A part is a movie of one-frame shots (see daemon/repository/images.py). Each image is read
by image_decoding (orientation applied, colours made sRGB, alpha flattened, the first frame
of an animation), written as the part's candidate frame, and measured as a movie's frames
are. An image that cannot be used is listed with its reason, for the pipeline to set aside,
and the others go on: one broken file never stops its batch. Only a fault of the disk or the
share (a transient error) stops the stage, which then runs again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from daemon.atomic import write_bytes_atomic
from daemon.display_text import REASON_LIMIT, printable, shown
from daemon.failure_policy import is_transient
from handlers.base import MovieJob, SourceImage
from handlers.frame_capture import Candidate, CandidateRole
from handlers.frame_files import Picture, jpeg_bytes
from handlers.image_decoding import (
    DecodedImage,
    ImageChangedError,
    ImageLimits,
    ImageRejectedError,
    read_image,
)
from handlers.image_measures import measure, working_grey
from handlers.shots import CANDIDATES_FOLDER


def video_range_luma(rgb: Picture) -> Picture:
    """The picture's luma on a video's scale (black 16, white 235), as a movie's frames are
    measured (their Y plane): `quality`'s brightness limits then mean the same for both, and
    a frame grab of a movie measures as its frame did."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16)
    return np.asarray(16 + (grey * 219 + 127) // 255, dtype=np.uint8)


# Not verdicts on the picture: a file moved meanwhile is read in a later part, and a file
# replaced meanwhile comes in again as a new image (image_parts).
FILE_GONE = "the file is gone"
FILE_REPLACED = "replaced by another file before it was read: that one is taken as a new image"


@dataclass(frozen=True)
class ReadImage:
    frame: str
    width: int  # as stored in the file
    height: int
    format: str
    notes: tuple[str, ...]  # what reading it changed or left out (see image_decoding)
    candidate: Candidate


@dataclass(frozen=True)
class UnusableImage:
    frame: str
    path: str  # for people (the log, movie.json): a name that is not UTF-8 escaped
    reason: str


@dataclass(frozen=True)
class ImageProbe:
    read: tuple[ReadImage, ...]
    unusable: tuple[UnusableImage, ...]


class ImageProbeHandler:
    name: ClassVar[str] = "probe"
    result_type: ClassVar[type] = ImageProbe

    def __init__(self, limits: ImageLimits, jpeg_quality: int) -> None:
        self.limits = limits
        self.jpeg_quality = jpeg_quality

    def run(self, job: MovieJob) -> ImageProbe:
        folder = job.movie_dir / CANDIDATES_FOLDER
        # Candidates of an earlier, interrupted run: this one writes them all again.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        read: list[ReadImage] = []
        unusable: list[UnusableImage] = []
        for done, image in enumerate(job.images):
            job.context.check_cancelled()
            try:
                read.append(self._read(image, folder))
            except ImageRejectedError as exc:
                unusable.append(_unusable(image, exc.reason))
            except ImageChangedError:
                unusable.append(_unusable(image, FILE_REPLACED))
            except FileNotFoundError:
                unusable.append(_unusable(image, FILE_GONE))
            except Exception as exc:
                if isinstance(exc, OSError) and is_transient(exc):
                    raise  # the share or the disk, not the image: the stage runs again
                reason = f"cannot be read as an image: {type(exc).__name__}: {exc}"
                unusable.append(_unusable(image, reason))
            job.context.progress((done + 1) / len(job.images))
        for item in unusable:
            job.context.log.warning("image unusable", image=item.path, reason=item.reason)
        return ImageProbe(tuple(read), tuple(unusable))

    def _read(self, image: SourceImage, folder: Path) -> ReadImage:
        decoded = read_image(image.path, self.limits, image.sha256)
        candidate = self._write(decoded, image, folder)
        return ReadImage(
            frame=image.frame,
            width=decoded.width,
            height=decoded.height,
            format=decoded.format,
            notes=decoded.notes,
            candidate=candidate,
        )

    def _write(self, decoded: DecodedImage, image: SourceImage, folder: Path) -> Candidate:
        bgr: Picture = np.asarray(cv2.cvtColor(decoded.pixels, cv2.COLOR_RGB2BGR), np.uint8)
        measures = measure(working_grey(video_range_luma(decoded.pixels)))
        data = jpeg_bytes(bgr, self.jpeg_quality, f"the image {image.path.name}")
        write_bytes_atomic(folder / f"{image.frame}.jpg", data, durable=False)
        return Candidate(
            name=image.frame,
            seconds=image.seconds,
            shot=int(image.seconds),
            role=CandidateRole.IMAGE,
            sharpness=measures.sharpness,
            brightness=measures.brightness,
            flat_fraction=measures.flat_fraction,
            phash=measures.phash,
        )


def _unusable(image: SourceImage, reason: str) -> UnusableImage:
    # Escaped: movie.json is UTF-8, and a file named on an old Samba share is not.
    return UnusableImage(image.frame, printable(image.path), shown(reason, REASON_LIMIT))
