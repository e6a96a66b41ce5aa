"""The whole faces stage, for benchmarks.faces: kept frames read from their files, found,
encoded and matched, in the daemon's own process (faces.workers 1) beside a pool of worker
processes, the two alternating over rounds; the CPU time each spends a frame (the same on a
busy machine, where wall-clock gains shrink); and what starting the pool costs.

The frames are spread over the clip and written as the frames stage writes kept frames
(JPEG files under movies/<id>/frames/), so the workers read files as they do in the daemon.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.rounds import Spread, alternating, ratios
from daemon.config import FacesConfig
from evaluation.table import print_table
from handlers.base import MovieJob, StageContext
from handlers.face_matching import Detector
from handlers.face_workers import FaceWorkers
from handlers.faces import FacesHandler, FacesReport
from handlers.quality import JudgedFrame, QualityReport, Verdict

MOVIE = "benchmark"
POOL_STARTS = 3  # each costs seconds: a few show the spread
Picture = npt.NDArray[np.uint8]


def write_kept_frames(library: Path, frames: Sequence[Picture], quality: int = 92) -> QualityReport:
    folder = library / "movies" / MOVIE / "frames"
    folder.mkdir(parents=True)
    judged = []
    for number, rgb in enumerate(frames):
        name = f"{number:04d}"
        cv2.imwrite(
            str(folder / f"{name}.jpg"),
            cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, quality],
        )
        judged.append(_kept(name, number))
    return QualityReport(tuple(judged), len(judged), 0)


def _kept(name: str, number: int) -> JudgedFrame:
    return JudgedFrame(
        name, float(number), 0, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


def run_stage(
    library: Path, quality: QualityReport, workers: FaceWorkers, detector: Detector = "auto"
) -> FacesReport:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    job = MovieJob(MOVIE, Path("movie.mp4"), library, (quality,), context)
    return FacesHandler(FacesConfig(detector=detector), workers=workers).run(job)


def pool_start_seconds(
    library: Path, quality: QualityReport, count: int, detector: Detector
) -> float:
    """From a new pool to its first frame's faces, less that frame's time in a warm pool."""
    first = QualityReport(quality.frames[:1], 1, 0)
    workers = FaceWorkers(count)
    try:
        started = time.perf_counter()
        run_stage(library, first, workers, detector)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        run_stage(library, first, workers, detector)
        return cold - (time.perf_counter() - started)
    finally:
        workers.close()


def stage_section(
    frames: Sequence[Picture], count: int, rounds: int, detector: Detector = "auto"
) -> None:
    with tempfile.TemporaryDirectory(prefix="bunny-face-stage-") as folder:
        library = Path(folder)
        quality = write_kept_frames(library, frames)
        print(
            f"\nthe faces stage with faces.detector {detector} on {len(frames)} kept frames "
            f"(files), faces.workers 1 against "
            f"{count}, alternating over {rounds} rounds; load average {_load()} on "
            f"{os.cpu_count()} cores at the start"
        )
        starts = Spread.of(
            [pool_start_seconds(library, quality, count, detector) for _ in range(POOL_STARTS)]
        )
        alone = Contender(library, quality, 1, detector)
        pool = Contender(library, quality, count, detector)
        try:
            same = alone.report() == pool.report()
            figures = alternating(rounds, [alone, pool])
        finally:
            pool.workers.close()
        gains = Spread.of(ratios(figures[1], figures[0]))
        print_table(
            ("faces.workers", "frames/s, median (range)", "gain over 1", "CPU ms a frame"),
            [
                ["1 (in process)", Spread.of(figures[0]).text(1), "1.00", alone.cpu_text()],
                [str(count), Spread.of(figures[1]).text(1), gains.text(), pool.cpu_text()],
            ],
        )
        print(f"same faces, encodings and order in both: {'yes' if same else 'NO'}")
        print(
            f"starting {count} workers (to the first frame, warm frame deducted): "
            f"{starts.text(1)} s over {POOL_STARTS} starts; load average {_load()} at the end"
        )


class Contender:
    """The stage on the frames with `count` workers: frames/s a round, and the CPU time it
    took in this process and its workers (which no other process's load changes)."""

    def __init__(
        self, library: Path, quality: QualityReport, count: int, detector: Detector
    ) -> None:
        self.library, self.quality, self.workers = library, quality, FaceWorkers(count)
        self.detector = detector
        self.cpu_per_frame: list[float] = []

    def report(self) -> FacesReport:
        return run_stage(self.library, self.quality, self.workers, self.detector)

    def __call__(self) -> float:
        cpu, started = cpu_seconds(), time.perf_counter()
        self.report()
        seconds = time.perf_counter() - started
        spent = cpu_seconds()
        if cpu is not None and spent is not None:
            self.cpu_per_frame.append((spent - cpu) / len(self.quality.frames) * 1000)
        return len(self.quality.frames) / seconds

    def cpu_text(self) -> str:
        return Spread.of(self.cpu_per_frame).text(0) if self.cpu_per_frame else "n/a"


def cpu_seconds() -> float | None:
    """CPU time of this process and of its children still running; None without /proc."""
    own = os.times()
    total = own.user + own.system
    for child in multiprocessing.active_children():
        try:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"
