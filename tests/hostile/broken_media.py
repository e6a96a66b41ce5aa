"""Bad media written by the test itself: containers without their index, streams without
a container, audio alone, images that lie about their size, files with a huge sparse tail."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.media import textured

# A sparse tail costs no disk space but every reader of the file sees it: 3 GiB of zeros.
SPARSE_TAIL_BYTES = 3 * 1024**3


def raw_h264_stream(path: Path, seconds: float = 1.0, seed: int = 0) -> Path:
    """An H.264 elementary stream (Annex B), no container: no timestamps, no duration."""
    picture = textured(seed, moving=True)
    with av.open(str(path), mode="w", format="h264") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = 160, 96
        stream.pix_fmt = "yuv420p"
        for index in range(round(seconds * 24)):
            frame = av.VideoFrame.from_ndarray(picture(index), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def video_with_frames(path: Path, frames: int, seed: int = 0) -> Path:
    """An MP4 whose video stream holds exactly `frames` frames (at least one)."""
    picture = textured(seed)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = 160, 96
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 24)
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(picture(index), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def header_only(path: Path, container_format: str) -> Path:
    """A container with a video stream declared and not one frame in it. In AVI the stream
    is there with zero frames; MP4 leaves the empty track out: a movie with no tracks."""
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream("mpeg4", rate=24)
        stream.width, stream.height = 160, 96
        stream.pix_fmt = "yuv420p"
        container.start_encoding()
    return path


def audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An MP4 with one AAC stream and no video."""
    rate = 44100
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        samples = np.sin(np.arange(int(rate * seconds)) * 2 * np.pi * 440 / rate)
        block = 1024
        for start in range(0, samples.size - block, block):
            chunk = (samples[start : start + block] * 0.3).astype(np.float32)[np.newaxis, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def without_box(source: Path, target: Path, box: bytes = b"moov") -> Path:
    """`source` (an MP4) with one top-level box left out: with `moov`, no index at all."""
    data = source.read_bytes()
    kept, offset = bytearray(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        size = size or len(data) - offset
        if kind != box:
            kept += data[offset : offset + size]
        offset += size
    target.write_bytes(bytes(kept))
    return target


def still_jpeg(path: Path, seed: int = 0, size: tuple[int, int] = (160, 96)) -> Path:
    """A photo-like picture with no face in it."""
    ok, encoded = cv2.imencode(".jpg", textured(seed, size=size)(0))
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def png_bomb(path: Path, side: int = 40_000) -> Path:
    """A PNG of a few KB that claims side x side grey pixels (1.6 gigapixels at 40,000):
    only the first rows are in the file; a reader that trusts the header allocates them all."""
    rows = zlib.compress(b"\x00" * ((side + 1) * 64), 9)
    chunks = [
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)),
        _png_chunk(b"IDAT", rows),
        _png_chunk(b"IEND", b""),
    ]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    return path


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(path: Path) -> Path:
    """A 1x1 picture."""
    ok, encoded = cv2.imencode(".png", np.full((1, 1, 3), 128, dtype=np.uint8))
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def with_sparse_tail(source: Path, target: Path, tail: int = SPARSE_TAIL_BYTES) -> Path:
    """`source`'s bytes followed by `tail` zero bytes that take no room on disk."""
    data = source.read_bytes()
    target.write_bytes(data)
    with target.open("r+b") as handle:
        handle.truncate(len(data) + tail)
    return target


def reencoded_jpeg(source: Path, target: Path, quality: int) -> Path:
    """The same photo at another JPEG quality: the same face, other bytes (another sha256)."""
    picture = cv2.imread(str(source), cv2.IMREAD_COLOR)
    assert picture is not None, source
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    target.write_bytes(encoded.tobytes())
    return target


def side_by_side(source: Path, target: Path) -> Path:
    """The photo twice, side by side: two faces of the same size."""
    picture = cv2.imread(str(source), cv2.IMREAD_COLOR)
    assert picture is not None, source
    ok, encoded = cv2.imencode(".jpg", np.hstack([picture, picture]))
    assert ok
    target.write_bytes(encoded.tobytes())
    return target
