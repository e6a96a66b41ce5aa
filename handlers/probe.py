"""`probe`: open the file with PyAV, read what later stages need, reject what will not play."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import av

from handlers.base import MovieJob, RejectedInputError, VideoInfo

# Demuxers that read a single picture; PyAV opens them as one-frame "videos".
STILL_IMAGE_FORMATS = frozenset({"image2", "webp", "apng"})
# Decoding after the near-the-end seek stops here: far more than one group of pictures.
MAX_FRAMES_AFTER_SEEK = 900


class ProbeHandler:
    name: ClassVar[str] = "probe"
    result_type: ClassVar[type] = VideoInfo

    def run(self, job: MovieJob) -> VideoInfo:
        try:
            container = av.open(str(job.source))
        except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise RejectedInputError(_open_failure_reason(job.source, exc)) from exc
        with container:
            if not container.streams.video:
                kinds = sorted({str(s.type) for s in container.streams}) or ["none"]
                raise RejectedInputError(f"no video stream (streams found: {', '.join(kinds)})")
            if container.format.name in STILL_IMAGE_FORMATS or container.format.name.endswith(
                "_pipe"
            ):
                raise RejectedInputError(f"a still image ({container.format.name}), not a movie")
            info = _video_info(container)
            job.context.progress(0.3)
            _check_decodes(container, info)
        return info


def _open_failure_reason(path: Path, exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        head = b""
    if head[4:8] == b"ftyp":
        # An MP4 header without its index (moov): the usual shape of a copy cut short.
        return f"truncated or incomplete MP4: it starts like one but cannot be opened ({text})"
    return f"not a playable video: {text}"


def _video_info(container: Any) -> VideoInfo:
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    duration = _duration_seconds(container, stream)
    frames = int(stream.frames) or round(duration * fps)
    return VideoInfo(
        container=container.format.name,
        codec=stream.codec_context.name,
        width=int(stream.codec_context.width),
        height=int(stream.codec_context.height),
        fps=round(fps, 3),
        duration_seconds=round(duration, 3),
        frame_count=frames,
        has_audio=bool(container.streams.audio),
    )


def _duration_seconds(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    # No duration in the headers (some raw or streamed files): demux, without decoding.
    last = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None and packet.time_base:
            last = max(last, float(packet.pts * packet.time_base))
    container.seek(0)
    return last


def _check_decodes(container: Any, info: VideoInfo) -> None:
    stream = container.streams.video[0]
    try:
        first = next(container.decode(stream), None)
    except av.FFmpegError as exc:
        raise RejectedInputError(f"the first frame does not decode: {exc}") from exc
    if first is None:
        raise RejectedInputError("the video stream holds no frame")
    if info.duration_seconds < 2:
        return
    # A file cut short (a half-finished download) keeps its header: find a frame near the end.
    target = 0.9 * info.duration_seconds
    container.seek(int(target / float(stream.time_base or Fraction(1, 1000))), stream=stream)
    try:
        for index, frame in enumerate(container.decode(stream)):
            if (frame.time is not None and frame.time >= target - 1.0) or (
                index >= MAX_FRAMES_AFTER_SEEK
            ):
                return
    except av.FFmpegError:
        pass
    raise RejectedInputError(
        f"truncated or damaged: nothing decodes after {target:.1f} s "
        f"of a stated {info.duration_seconds:.1f} s"
    )
