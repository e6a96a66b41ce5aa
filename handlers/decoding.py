"""The decode loop every pass shares: damaged packets passed over, times from PTS, luma in place.

Timestamps come from each frame's PTS, never from counting frames, so variable-frame-rate
files come out right.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from handlers.reference_packets import NonReferencePackets, non_reference_packets

# 8-bit pixel formats whose first plane is luma: read it in place, skipping swscale.
LUMA_PLANE_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p"}
    | {"yuv440p", "yuvj440p", "nv12", "nv21", "gray"}
)
# Frame threads per core when only reference frames are decoded. Each reference frame waits
# on rows of the one before, so a thread per core leaves cores idle. Decoding 2 minutes of
# benchmarks.film's 1080p clip on 2 cores, ignored packets not sent (see reference_packets):
# 3 threads (FFmpeg's default here) 12.0 s, 4 10.9 s, 6 9.9 s, 8 10.0 s. FFmpeg's own cap on
# automatic threads bounds it on large machines.
THREADS_PER_CORE = 3
MAX_THREADS = 16


@dataclass
class DecodeDamage:
    """Packets that failed to decode and were passed over."""

    skipped: int = 0


def open_video(path: str) -> Any:
    """The container, with its first video stream set up for threaded decoding."""
    container = av.open(path)
    if not container.streams.video:
        container.close()
        raise ValueError("no video stream")
    container.streams.video[0].thread_type = "AUTO"
    return container


def skip_non_reference(stream: Any) -> NonReferencePackets | None:
    """Frames no other frame is predicted from are dropped by the decoder, undecoded; codecs
    without such frames (or that ignore the setting) decode every frame as before. Returns
    what tells the packets the decoder would ignore whole (H.264), to keep them from it."""
    context = stream.codec_context
    context.skip_frame = "NONREF"
    context.thread_count = min(MAX_THREADS, THREADS_PER_CORE * _cores())
    return non_reference_packets(stream)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def stream_rate(stream: Any) -> float:
    """The stream's nominal frames per second; 0.0 when the container does not say."""
    rate = stream.guessed_rate or stream.average_rate
    return float(rate) if rate else 0.0


def decode_skipping_errors(
    container: Any,
    stream: Any,
    damage: DecodeDamage,
    ignored: NonReferencePackets | None = None,
) -> Iterator[Any]:
    """Yield decoded frames; a packet that fails to decode is counted and passed over.
    Packets `ignored` tells are never sent to the decoder (see skip_non_reference)."""
    for packet in _packets(container, stream, damage):
        if ignored is not None and ignored.ignored(packet):
            continue
        try:
            frames = stream.decode(packet)
        except av.FFmpegError:
            damage.skipped += 1
            continue
        yield from frames


def decode_keyframes(
    container: Any, stream: Any, interval: float, damage: DecodeDamage
) -> Iterator[Any]:
    """Keyframes only, at most one per `interval` seconds; no other packet reaches the decoder.

    Demuxing every packet costs little; decoding is what costs, so packets that are not
    keyframes, or come too soon after the last one taken, are dropped before the decoder.
    """
    # Keyframes are independent of each other: frame threads decode several at once.
    stream.thread_type = "FRAME"
    stream.codec_context.skip_frame = "NONKEY"
    due = float("-inf")
    clock = 0  # in the stream's time base
    for packet in _packets(container, stream, damage):
        flush = packet.size == 0  # demux's last, empty packet drains the decoder's threads
        if not flush:
            if packet.pts is None and packet.duration:
                # A raw elementary stream has no timestamps: a keyframe's time is the sum of
                # the packets before it, since the frames between are never decoded to count.
                packet.pts = packet.dts = clock
            clock += packet.duration or 0
            seconds = _packet_seconds(packet)
            if not packet.is_keyframe or (seconds is not None and seconds < due):
                continue
            due = (seconds if seconds is not None else due) + interval
        try:
            yield from stream.decode(packet)
        except av.FFmpegError:
            damage.skipped += 1


def _packet_seconds(packet: Any) -> float | None:
    if packet.pts is None or not packet.time_base:
        return None
    return float(packet.pts * packet.time_base)


def _packets(container: Any, stream: Any, damage: DecodeDamage) -> Iterator[Any]:
    packets = container.demux(stream)
    while True:
        try:
            yield next(packets)
        except StopIteration:
            return
        except av.FFmpegError:
            damage.skipped += 1  # the demuxer cannot go on past damage
            return


def luma(frame: Any) -> npt.NDArray[np.uint8]:
    """The full-size luma plane as a (height, width) view, converting only when it must."""
    if frame.format.name in LUMA_PLANE_FORMATS:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return rows[:, : plane.width]
    grey: npt.NDArray[np.uint8] = frame.to_ndarray(format="gray")
    return grey


def frame_seconds(frame: Any, previous: float | None) -> float:
    if frame.time is not None:
        return float(frame.time)
    # No PTS (rare raw streams): step on from the previous frame rather than invent a rate.
    return previous + frame_duration(frame) if previous is not None else 0.0


def frame_duration(frame: Any) -> float:
    duration = getattr(frame, "duration", None)
    if duration and frame.time_base:
        return float(duration * frame.time_base)
    return 0.0
