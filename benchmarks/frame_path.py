"""What benchmarks.frames times: plain PyAV decoding of a file, and the daemon's own frame
stages on the same file (probe untimed, as the pipeline would have run it already)."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av

from daemon.config import Config
from evaluation.stages import frame_stages_only
from handlers.base import MovieJob, StageContext
from handlers.frames import FrameSelection
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import QualityReport
from handlers.registry import StageServices, build_handlers
from handlers.shots import ShotList

MOVIE_KEY = "bench"


@dataclass(frozen=True)
class PathRun:
    seconds: float
    cpu_seconds: float  # of every thread of this process: what other processes cannot inflate
    shots: ShotList
    selection: FrameSelection
    quality: QualityReport


@dataclass(frozen=True)
class PlainRun:
    seconds: float
    cpu_seconds: float
    frames: int


def plain_decode(path: Path) -> PlainRun:
    """Every frame decoded, threaded, nothing done with it: the floor for any path."""
    started, cpu = time.perf_counter(), time.process_time()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = sum(1 for _ in container.decode(stream))
    return PlainRun(time.perf_counter() - started, time.process_time() - cpu, frames)


@functools.cache
def shared_index(distance: int) -> NearDuplicateIndex:
    """One index for every run, as the daemon keeps one for its life.

    A fresh index's tables are touched page by page as hashes arrive (~1 ms per hash while
    new, with transparent huge pages); a running daemon paid that once, long ago. Every run
    uses the same movie key, so each run's quality stage first discards the previous run's
    hashes and never meets them as duplicates.
    """
    return NearDuplicateIndex(distance)


def run_path(path: Path, work: Path, config: Config) -> PathRun:
    """Probe untimed, then the timed rest, each handler given the results before it."""
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    services = StageServices(shared_index(config.quality.duplicate_distance))
    probe, *timed = build_handlers(frame_stages_only(config), services)
    library = Path(tempfile.mkdtemp(prefix="library-", dir=work))
    try:
        earlier: list[object] = [probe.run(MovieJob(MOVIE_KEY, path, library, (), context))]
        started, cpu = time.perf_counter(), time.process_time()
        for handler in timed:
            job = MovieJob(MOVIE_KEY, path, library, tuple(earlier), context)
            earlier.append(handler.run(job))
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    finally:
        shutil.rmtree(library, ignore_errors=True)
    done = MovieJob(MOVIE_KEY, path, library, tuple(earlier), context)
    return PathRun(
        seconds,
        cpu_seconds,
        done.result(ShotList),
        done.result(FrameSelection),
        done.result(QualityReport),
    )


def keyframes_config(config: Config) -> Config:
    return dataclasses.replace(config, frames=dataclasses.replace(config.frames, mode="keyframes"))
