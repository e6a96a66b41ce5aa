"""Small media the tests make for themselves: clips written with PyAV, and broken files."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt


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


FPS = 24
SIZE = (160, 96)
Picture = Callable[[int], npt.NDArray[np.uint8]]


def textured(seed: int, moving: bool = False, size: tuple[int, int] = SIZE) -> Picture:
    """Smooth blobs (a real picture's layout, not noise), drifting when `moving`."""
    width, height = size
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(6, 10, 3), dtype=np.uint8)
    base = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    detail = rng.integers(0, 40, size=(height, width, 1), dtype=np.uint8)
    base = cv2.add(base, np.repeat(detail, 3, axis=2))
    return lambda i: np.roll(base, i * 2 if moving else 0, axis=1)


def write_segments(
    path: Path,
    pictures: list[tuple[Picture, int]],
    size: tuple[int, int] = SIZE,
    fps: int = FPS,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
) -> Path:
    """Concatenate (picture, frame count) segments into one clip: H.264 with libx264's
    defaults (B-frames, B-pyramid) unless told otherwise."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps, options=options or {})
        stream.width, stream.height = size
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.time_base = Fraction(1, fps)
        _encode(container, stream, pictures)
    return path


def write_raw_h264(path: Path, pictures: list[tuple[Picture, int]], keyframe_every: int) -> Path:
    """A raw H.264 elementary stream (no container: no index, no timestamps, no seeking),
    whatever `path`'s suffix says; a keyframe every `keyframe_every` frames."""
    with av.open(str(path), mode="w", format="h264") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"g": str(keyframe_every)})
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        _encode(container, stream, pictures)
    return path


def _encode(container: Any, stream: Any, pictures: list[tuple[Picture, int]]) -> None:
    """Each (picture, frame count) segment, frame after frame, then the encoder's tail."""
    pts = 0
    for picture, count in pictures:
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(picture(i), format="rgb24")
            frame.pts = pts
            pts += 1
            container.mux(stream.encode(frame))
    container.mux(stream.encode())
