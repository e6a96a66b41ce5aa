"""`probe`: open the file with PyAV, read what later stages need, reject what will not play."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import av

from daemon.failure_policy import is_transient
from handlers.base import MovieJob, RejectedInputError, VideoInfo

# Demuxers that read a single picture; PyAV opens them as one-frame "videos".
STILL_IMAGE_FORMATS = frozenset({"image2", "webp", "apng"})
# Demuxers that draw a text file as pictures (ANSI art): an .nfo or .txt beside a movie.
TEXT_ART_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})
# Decoding after the near-the-end seek stops here: far more than one group of pictures.
MAX_FRAMES_AFTER_SEEK = 900


class ProbeHandler:
    name: ClassVar[str] = "probe"
    result_type: ClassVar[type] = VideoInfo

    def run(self, job: MovieJob) -> VideoInfo:
        with _open(job.source) as container:
            _check_kind(container)
            stream = container.streams.video[0]
            stated = _stated_duration(container, stream)
            if stated is not None:
                info = _video_info(container, stated, int(stream.frames), measured=False)
                job.context.progress(0.3)
                _check_decodes(container, info)
                return info
            # No duration in the headers (a raw elementary stream, some streamed files):
            # measured by demuxing to the end. Such formats often cannot seek back, so the
            # first frame is decoded from a fresh opening; the measure is what the file
            # holds, so there is no stated end to check against.
            seconds, packets = _measured_duration(container, stream)
            info = _video_info(container, seconds, packets, measured=True)
        job.context.progress(0.3)
        with _open(job.source) as again:
            _check_first_frame(again, again.streams.video[0])
        return info


def _open(path: Path) -> Any:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, OSError) and is_transient(exc):
            raise  # the share or the disk, not the file: the pipeline retries it
        raise RejectedInputError(_open_failure_reason(path, exc)) from exc


def _check_kind(container: Any) -> None:
    if not container.streams.video:
        kinds = sorted({str(s.type) for s in container.streams}) or ["none"]
        raise RejectedInputError(f"no video stream (streams found: {', '.join(kinds)})")
    if container.format.name in STILL_IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        raise RejectedInputError(f"a still image ({container.format.name}), not a movie")
    if container.format.name in TEXT_ART_FORMATS:
        raise RejectedInputError(
            f"a text file ({container.format.name}: FFmpeg would draw it as ANSI art), not a movie"
        )


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


def _video_info(container: Any, duration: float, frames: int, measured: bool) -> VideoInfo:
    stream = container.streams.video[0]
    # A raw stream has no container rate (its demuxer assumes 25): the codec's own is truer.
    first = stream.guessed_rate if measured else stream.average_rate
    rate = first or stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    frames = frames or round(duration * fps)
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


def _stated_duration(container: Any, stream: Any) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    return None


def _measured_duration(container: Any, stream: Any) -> tuple[float, int]:
    """Seconds and packets, by demuxing without decoding; a raw stream's packets carry no
    timestamps, only durations, so the clock is their sum where PTS is missing."""
    last, clock, packets = 0.0, 0.0, 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue  # the demuxer's closing empty packet
        packets += 1
        if packet.duration and packet.time_base:
            clock += float(packet.duration * packet.time_base)
        if packet.pts is not None and packet.time_base:
            last = max(last, float(packet.pts * packet.time_base))
    return max(last, clock), packets


def _check_first_frame(container: Any, stream: Any) -> None:
    try:
        first = next(container.decode(stream), None)
    except av.FFmpegError as exc:
        raise RejectedInputError(f"the first frame does not decode: {exc}") from exc
    if first is None:
        raise RejectedInputError("the video stream holds no frame")


def _check_decodes(container: Any, info: VideoInfo) -> None:
    stream = container.streams.video[0]
    _check_first_frame(container, stream)
    if info.duration_seconds < 2:
        return
    # A file cut short (a half-finished download) keeps its header: find a frame near the end.
    target = 0.9 * info.duration_seconds
    try:
        container.seek(int(target / float(stream.time_base or Fraction(1, 1000))), stream=stream)
    except av.FFmpegError:
        return  # a format that cannot seek: the decode pass passes over what is missing
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
