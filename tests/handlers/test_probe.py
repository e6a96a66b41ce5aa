from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from handlers.base import MovieJob, RejectedInputError, StageContext, VideoInfo
from handlers.probe import ProbeHandler
from tests.media import FPS, SIZE, textured, truncate_copy, write_raw_h264


def job_for(path: Path, library: Path) -> MovieJob:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return MovieJob("abc123", path, library, (), context)


def probe(path: Path, tmp_path: Path) -> VideoInfo:
    return ProbeHandler().run(job_for(path, tmp_path))


def test_reads_what_later_stages_need(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    clip = make_clip("probe.mp4", seconds=3.0, fps=25, size=(192, 108))
    info = probe(clip, tmp_path)
    assert (info.width, info.height, info.codec) == (192, 108, "h264")
    assert info.fps == pytest.approx(25.0)
    assert info.duration_seconds == pytest.approx(3.0, abs=0.1)
    assert info.frame_count == 75
    assert info.has_audio is False


def test_mjpeg_in_avi_is_a_movie(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    clip = make_clip("probe.avi", seconds=2.5, codec="mjpeg")
    info = probe(clip, tmp_path)
    assert info.codec == "mjpeg"
    assert info.duration_seconds == pytest.approx(2.5, abs=0.1)


@pytest.mark.parametrize(
    ("make_bad", "expected"),
    [
        (lambda d, c: _write(d / "notes.mp4", b"just some text\n"), "not a playable video"),
        (lambda d, c: truncate_copy(c, d / "half.mp4", 0.5), "truncated or incomplete MP4"),
        (lambda d, c: _still(d / "photo.mp4"), "a still image"),
        # FFmpeg's tty demuxer plays a text file named .nfo (or .ans, .txt) as ANSI art.
        (lambda d, c: _write(d / "movie.nfo", b"Title: A Film\nYear: 1999\n" * 40), "text"),
        (lambda d, c: _write(d / "subs.srt", b"1\n00:00:01,000 --> 00:00:02,000\n"), "no video"),
    ],
    ids=["text-named-mp4", "truncated-mp4", "jpeg-named-mp4", "nfo-beside-a-movie", "subtitles"],
)
def test_rejects_what_will_not_play(
    make_bad: Callable[[Path, Path], Path],
    expected: str,
    make_clip: Callable[..., Path],
    tmp_path: Path,
) -> None:
    bad = make_bad(tmp_path, make_clip("source.mp4", seconds=3.0))
    with pytest.raises(RejectedInputError, match=expected):
        probe(bad, tmp_path)


def test_rejects_a_cut_short_matroska(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    # Matroska keeps its header at the start, so the file opens: only the end is missing.
    clip = make_clip("long.mkv", seconds=6.0)
    cut = truncate_copy(clip, tmp_path / "cut.mkv", 0.6)
    with pytest.raises(RejectedInputError, match="truncated or damaged"):
        probe(cut, tmp_path)


def test_rejects_a_file_with_no_video_stream(tmp_path: Path) -> None:
    import av
    import numpy as np

    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 8000), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with pytest.raises(RejectedInputError, match=r"no video stream .*audio"):
        probe(path, tmp_path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _still(path: Path) -> Path:
    Image.new("RGB", (64, 48), "red").save(path, format="JPEG")
    return path


def test_a_raw_h264_stream_named_mp4_is_measured_without_seeking(tmp_path: Path) -> None:
    # No container: FFmpeg cannot seek in it ("Operation not permitted"), which was retried
    # for hours as if the disk were at fault.
    raw = write_raw_h264(tmp_path / "raw.mp4", [(textured(1, moving=True), 144)], 24)
    info = probe(raw, tmp_path)
    assert (info.container, info.codec, info.width, info.height) == ("h264", "h264", *SIZE)
    assert info.fps == pytest.approx(FPS)
    assert info.duration_seconds == pytest.approx(144 / FPS, abs=0.05)
    assert info.frame_count == 144
