"""Small media the tests make for themselves: clips written with PyAV, and broken files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_clip(
    path: Path,
    seconds: float = 3.0,
    fps: int = 24,
    size: tuple[int, int] = (160, 120),
    codec: str = "libx264",
    seed: int = 0,
) -> Path:
    """A short clip of moving gradients; `seed` makes clips with different bytes."""
    width, height = size
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            shifted = np.roll(base, shift=index * 3, axis=1)
            frame = av.VideoFrame.from_ndarray(shifted, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def truncate_copy(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target
