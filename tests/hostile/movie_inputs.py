"""Hostile inputs dropped into inbox/movies/ as files: bad containers, streams without a
container, copies, a file still arriving, and names the daemon must ignore. Seeds 1-49."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile import broken_media, makers
from tests.hostile.catalogue import (
    InputSpec,
    Kind,
    Maker,
    Materials,
    Outcome,
    copy_clip,
    spec,
    write_bytes,
)

DONE, REJECTED, LEFT_ALONE = Outcome.DONE, Outcome.REJECTED, Outcome.LEFT_ALONE
DEEP = "/".join(["deep"] * 40)


def movie(
    key: str, name: str, expected: Outcome | set[Outcome], make: Maker, **flags: Any
) -> InputSpec:
    return spec(f"movie-{key}", f"movies/{name}", Kind.MOVIE, expected, make, **flags)


def _noise(seed: int) -> Maker:
    return write_bytes(random.Random(seed).randbytes(64 * 1024))


def _writer(write: Callable[[Path], object]) -> Maker:
    def make(target: Path, _materials: Materials) -> None:
        write(target)

    return make


def movie_inputs() -> list[InputSpec]:
    subtitles = b"1\n00:00:01,000 --> 00:00:02,000\nhello\n"
    return [
        movie("plain", "plain.mp4", DONE, copy_clip(1)),
        movie("empty", "empty.mp4", REJECTED, write_bytes(b"")),
        movie("random-bytes-mp4", "noise.mp4", REJECTED, _noise(1)),
        movie("random-bytes-mkv", "noise.mkv", REJECTED, _noise(2)),
        movie("text-as-mp4", "notes.mp4", REJECTED, write_bytes(b"not a movie\n" * 50)),
        movie(
            "jpeg-as-mp4", "photo.mp4", REJECTED,
            _writer(lambda p: broken_media.still_jpeg(p, seed=33)),
        ),
        movie("png-1x1-as-mp4", "pixel.mp4", REJECTED, _writer(broken_media.tiny_png)),
        movie("audio-only", "song.mp4", REJECTED, _writer(broken_media.audio_only)),
        movie("cut-in-half", "half.mp4", REJECTED, makers.half_of_clip(2)),
        movie("moov-missing", "no-index.mp4", REJECTED, makers.clip_without_moov(3)),
        movie(
            "no-tracks", "no-tracks.mp4", REJECTED,
            _writer(lambda p: broken_media.header_only(p, "mp4")),
        ),
        movie(
            "zero-frame-stream", "no-frames.avi", REJECTED,
            _writer(lambda p: broken_media.header_only(p, "avi")),
        ),
        movie(
            "one-frame", "one-frame.mp4", {DONE, REJECTED},
            _writer(lambda p: broken_media.video_with_frames(p, frames=1, seed=32)),
        ),
        movie(
            "raw-h264-as-mp4", "raw-stream.mp4", {DONE, REJECTED},
            _writer(lambda p: broken_media.raw_h264_stream(p, seed=31)),
        ),
        movie("matroska", "valid.mkv", DONE, makers.clip_as(4, ".mkv")),
        movie("avi-mjpeg", "valid.avi", DONE, makers.clip_as(5, ".avi", "mjpeg")),
        movie("mp4-named-avi", "really-mp4.avi", DONE, copy_clip(6)),
        movie("sparse-3gb-tail", "sparse.mp4", {DONE, REJECTED}, makers.sparse_clip(7)),
        movie("still-growing", "growing.mp4", DONE, makers.growing_clip(8), in_place=True),
        movie("deep-folder", f"{DEEP}/deep.mp4", DONE, copy_clip(9)),
        spec("movie-folder-named-mp4", "movies/folder.mp4", Kind.FOLDER, LEFT_ALONE,
             makers.empty_folder),
        movie("inside-folder-named-mp4", "holder.mp4/inside.mp4", DONE, copy_clip(10)),
        movie("copy-a", "copy-a.mp4", DONE, copy_clip(11)),
        movie("copy-b-in-folder", "copies/copy-b.mp4", DONE, copy_clip(11)),
        movie("copy-c-as-mkv", "copy-c.mkv", DONE, copy_clip(11)),
        movie("srt-beside", "plain.srt", {REJECTED, LEFT_ALONE}, write_bytes(subtitles)),
        movie("nfo-beside", "plain.nfo", {REJECTED, LEFT_ALONE}, write_bytes(b"<movie/>\n")),
        movie("txt-beside", "plain.txt", {REJECTED, LEFT_ALONE}, write_bytes(b"readme\n")),
        movie("dot-file", ".hidden.mp4", LEFT_ALONE, copy_clip(12)),
        movie("part-name", "arriving.mp4.part", LEFT_ALONE, copy_clip(13)),
        movie("crdownload-name", "arriving.mkv.crdownload", LEFT_ALONE, copy_clip(14)),
        movie("unreadable-file", "locked.mp4", REJECTED, copy_clip(15), lock_mode=0o600),
        spec(
            "movie-unreadable-folder", "movies/sealed", Kind.FOLDER, {LEFT_ALONE, REJECTED},
            makers.folder_holding("inside.mp4", copy_clip(16)), lock_mode=0o700,
        ),
        spec(
            "movie-unsearchable-folder", "movies/glass", Kind.FOLDER, {LEFT_ALONE, REJECTED},
            makers.folder_holding("inside.mp4", copy_clip(17)), lock_mode=0o744,
        ),
    ]  # fmt: skip
