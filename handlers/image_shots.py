"""`shots` for a part of an image batch: every image read is a one-frame shot of its own.

Nothing is decoded here (probe read each image once). The part's sharpness distribution is
that of its images, so the quality stage judges each image against its batch's median, as it
judges a movie's frames against the movie's.
"""

from __future__ import annotations

from typing import ClassVar

from handlers.base import MovieJob
from handlers.frame_numbers import FrameScope
from handlers.image_probe import ImageProbe
from handlers.letterbox import CropBox
from handlers.sharpness_spread import SpreadCounter
from handlers.shots import Shot, ShotKind, ShotList

IMAGES_MODE = "images"  # ShotList.mode of a part: the frames stage takes every image


class ImageShotsHandler:
    name: ClassVar[str] = "shots"
    result_type: ClassVar[type] = ShotList

    def run(self, job: MovieJob) -> ShotList:
        read = job.result(ImageProbe).read
        spread = SpreadCounter()
        shots = []
        for image in read:
            spread.add(image.candidate.sharpness)
            number = image.candidate.shot
            shots.append(
                Shot(
                    index=number,
                    start_seconds=image.candidate.seconds,
                    end_seconds=image.candidate.seconds + 1.0,
                    start_frame=number,
                    end_frame=number + 1,
                    kind=ShotKind.STATIC,
                    mean_motion=0.0,
                )
            )
        job.context.progress(1.0)
        return ShotList(
            shots=tuple(shots),
            frames_decoded=len(read),
            frames_skipped=0,
            mode=IMAGES_MODE,
            crop=CropBox(0, 0, 0, 0),  # each image is its own size
            sharpness=spread.spread(),
            candidates=tuple(image.candidate for image in read),
            decode=FrameScope.EVERY,
        )
