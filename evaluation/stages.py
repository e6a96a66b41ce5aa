"""The frame stages run in this process, in pipeline order, without a daemon or database.

For the evaluation and the benchmarks: the same handler classes the daemon builds, given
each other's results the way the pipeline gives them.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path

from daemon.config import Config
from handlers.base import MovieJob, StageContext
from handlers.frames import FrameSelection
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import QualityReport
from handlers.registry import StageServices, build_handlers
from handlers.shots import ShotList

FRAME_STAGES = ("probe", "shots", "frames", "quality")


def frame_stages_only(config: Config) -> Config:
    pipeline = dataclasses.replace(config.pipeline, stages=FRAME_STAGES)
    return dataclasses.replace(config, pipeline=pipeline)


@dataclass(frozen=True)
class FrameStagesResult:
    shots: ShotList
    selection: FrameSelection
    quality: QualityReport


def run_frame_stages(
    source: Path, library: Path, config: Config | None = None, key: str = "eval"
) -> FrameStagesResult:
    config = frame_stages_only(config or Config())
    services = StageServices(NearDuplicateIndex(config.quality.duplicate_distance))
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    earlier: list[object] = []
    for handler in build_handlers(config, services):
        job = MovieJob(key, source, library, tuple(earlier), context)
        earlier.append(handler.run(job))
    done = MovieJob(key, source, library, tuple(earlier), context)
    return FrameStagesResult(
        done.result(ShotList), done.result(FrameSelection), done.result(QualityReport)
    )
