"""The whole faces stage, for benchmarks.faces: kept frames read from their files, found,
encoded and matched, in the daemon's own process (faces.workers 1) beside a pool of worker
processes, the two alternating over rounds; and what starting the pool costs.

The frames are spread over the clip and written as the frames stage writes kept frames
(JPEG files under movies/<id>/frames/), so the workers read files as they do in the daemon.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.rounds import Spread, alternating, ratios
from daemon.config import FacesConfig
from evaluation.table import print_table
from handlers.base import MovieJob, StageContext
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


def run_stage(library: Path, quality: QualityReport, workers: FaceWorkers) -> FacesReport:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    job = MovieJob(MOVIE, Path("movie.mp4"), library, (quality,), context)
    return FacesHandler(FacesConfig(), workers=workers).run(job)


def pool_start_seconds(library: Path, quality: QualityReport, count: int) -> float:
    """From a new pool to its first frame's faces, less that frame's time in a warm pool."""
    first = QualityReport(quality.frames[:1], 1, 0)
    workers = FaceWorkers(count)
    try:
        started = time.perf_counter()
        run_stage(library, first, workers)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        run_stage(library, first, workers)
        return cold - (time.perf_counter() - started)
    finally:
        workers.close()


def stage_section(frames: Sequence[Picture], count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bunny-face-stage-") as folder:
        library = Path(folder)
        quality = write_kept_frames(library, frames)
        print(
            f"\nthe faces stage on {len(frames)} kept frames (files), "
            f"faces.workers 1 against {count}, alternating over {rounds} rounds"
        )
        starts = Spread.of(
            [pool_start_seconds(library, quality, count) for _ in range(POOL_STARTS)]
        )
        alone, pool = FaceWorkers(1), FaceWorkers(count)
        try:
            same = run_stage(library, quality, alone) == run_stage(library, quality, pool)
            figures = alternating(
                rounds, [_frames_per_second(library, quality, w) for w in (alone, pool)]
            )
        finally:
            pool.close()
        gains = Spread.of(ratios(figures[1], figures[0]))
        print_table(
            ("faces.workers", "frames/s, median (range)", "gain over 1"),
            [
                ["1 (in process)", Spread.of(figures[0]).text(1), "1.00"],
                [str(count), Spread.of(figures[1]).text(1), gains.text()],
            ],
        )
        print(f"same faces, encodings and order in both: {'yes' if same else 'NO'}")
        print(f"starting {count} workers (to the first frame, warm frame deducted): "
              f"{starts.text(1)} s over {POOL_STARTS} starts")  # fmt: skip


def _frames_per_second(
    library: Path, quality: QualityReport, workers: FaceWorkers
) -> Callable[[], float]:
    def timed() -> float:
        started = time.perf_counter()
        run_stage(library, quality, workers)
        return len(quality.frames) / (time.perf_counter() - started)

    return timed
