"""Training sizes (aspect-ratio buckets or one square), image loading and the batch order.

With bucketing, each image trains at the bucket whose shape is nearest its own: sizes in
steps of 64 px (8 px below a resolution of 256), about resolution x resolution pixels in
area, from 1:2 to 2:1. The image is scaled to cover its bucket and the overflow is cut
equally from both sides (a centre crop). Without bucketing every image is centre-cropped to
a resolution x resolution square. A batch holds images of one bucket.

The batch order is a pure function of (seed, step): a resumed run sees the same batches it
would have seen without the interruption.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

MAX_ASPECT = 2.0


@dataclass(frozen=True, order=True)
class Bucket:
    width: int
    height: int


def make_buckets(resolution: int, bucketing: bool) -> list[Bucket]:
    step = 64 if resolution >= 256 else 8
    side = max(step, resolution // step * step)
    if not bucketing:
        return [Bucket(side, side)]
    area = side * side
    found = set()
    for width in range(step, 2 * side + 1, step):
        height = area // width // step * step
        if height >= step and max(width, height) / min(width, height) <= MAX_ASPECT:
            found.add(Bucket(width, height))
    return sorted(found)


def choose_bucket(width: int, height: int, buckets: Sequence[Bucket]) -> Bucket:
    """The bucket nearest the picture's shape (on a log scale); the larger one on a tie."""
    aspect = math.log(width / height)
    return min(buckets, key=lambda b: (abs(math.log(b.width / b.height) - aspect), -b.width))


def load_picture(path: Path) -> Image.Image:
    with Image.open(path) as opened:
        return ImageOps.exif_transpose(opened).convert("RGB")


def to_bucket(picture: Image.Image, bucket: Bucket) -> torch.Tensor:
    """The picture scaled to cover the bucket, centre-cropped, as a 3xHxW tensor in [-1, 1]."""
    scale = max(bucket.width / picture.width, bucket.height / picture.height)
    width = max(bucket.width, round(picture.width * scale))
    height = max(bucket.height, round(picture.height * scale))
    resized = picture.resize((width, height), Image.Resampling.LANCZOS)
    left, top = (width - bucket.width) // 2, (height - bucket.height) // 2
    cropped = resized.crop((left, top, left + bucket.width, top + bucket.height))
    array = np.asarray(cropped, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


class BatchPlan:
    """Which images make the batch of each step: every epoch, each bucket's images are shuffled
    and cut into batches (the last one may be smaller), and the batches are shuffled."""

    def __init__(self, bucket_of: Sequence[Bucket], batch_size: int, seed: int) -> None:
        self._groups: dict[Bucket, list[int]] = {}
        for index, bucket in enumerate(bucket_of):
            self._groups.setdefault(bucket, []).append(index)
        self._batch_size = batch_size
        self._seed = seed
        self.batches_per_epoch = sum(
            math.ceil(len(group) / batch_size) for group in self._groups.values()
        )
        self._epoch = -1
        self._batches: list[tuple[int, ...]] = []

    def batch(self, step: int) -> tuple[int, ...]:
        epoch, index = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch:
            self._epoch, self._batches = epoch, self._plan(epoch)
        return self._batches[index]

    def _plan(self, epoch: int) -> list[tuple[int, ...]]:
        rng = random.Random(f"{self._seed}:{epoch}")
        batches = []
        for bucket in sorted(self._groups):
            group = list(self._groups[bucket])
            rng.shuffle(group)
            size = self._batch_size
            batches += [tuple(group[i : i + size]) for i in range(0, len(group), size)]
        rng.shuffle(batches)
        return batches
