"""What every stage sees: the job it works on and the one method it implements.

The pipeline owns skipping, retries, timing, logging and persistence. A handler only does
its job: it reads the typed `MovieJob`, returns a typed result dataclass, reports progress
through `StageContext`, and raises `RejectedInputError` when the input cannot be used at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import structlog


class RejectedInputError(Exception):
    """The input is unusable (not a video, truncated...): it is moved aside, not retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StageDeferredError(Exception):
    """Nothing is wrong with the movie, but the stage cannot go on now (a service it needs is
    down): the pipeline runs it again after `retry_after` seconds, counting no failure."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class StageCancelledError(Exception):
    """The daemon is stopping; the stage will run again from its start."""


@dataclass(frozen=True)
class VideoInfo:
    """What `probe` learns about a movie; later stages read it from the job."""

    container: str
    codec: str
    width: int
    height: int
    fps: float
    duration_seconds: float
    frame_count: int
    has_audio: bool


@dataclass
class StageContext:
    """The pipeline's side of a running stage: progress, cancellation and the log."""

    report_progress: Callable[[float], None]
    stop_event: threading.Event
    log: Any = field(default_factory=lambda: structlog.get_logger("stage"))
    # Records library files (relative) the stage is about to delete, before it deletes
    # them: a kill part-way must not leave them looking like the user's deletions.
    record_deletions: Callable[[tuple[str, ...]], None] = lambda _files: None

    def progress(self, fraction: float) -> None:
        self.report_progress(min(1.0, max(0.0, fraction)))

    def check_cancelled(self) -> None:
        if self.stop_event.is_set():
            raise StageCancelledError("daemon is stopping")


Result = TypeVar("Result")


class MissingStageResultError(Exception):
    """A stage needs the result of one that has not run (a misordered `pipeline.stages`)."""


@dataclass(frozen=True)
class SourceImage:
    """A still image of a part of an image batch, and the frame it becomes: a part is a
    movie whose every image is a one-frame shot, `seconds` into it (one second apart)."""

    path: Path
    frame: str
    seconds: float
    sha256: str = ""  # what the file held when it was taken ("": not checked)


@dataclass(frozen=True)
class MovieJob:
    movie_key: str  # short sha256: the movie's id in paths, logs and the CLI
    source: Path  # the movie file; for a part of an image batch, the batch's folder
    library: Path
    earlier: tuple[object, ...]  # the results of the stages already done for this movie
    context: StageContext
    images: tuple[SourceImage, ...] = ()  # a part of an image batch: its images, in order

    @property
    def is_images(self) -> bool:
        return bool(self.images)

    @property
    def movie_dir(self) -> Path:
        return self.library / "movies" / self.movie_key

    @property
    def video(self) -> VideoInfo | None:
        return self.find(VideoInfo)

    def find(self, kind: type[Result]) -> Result | None:
        return next((r for r in self.earlier if isinstance(r, kind)), None)

    def result(self, kind: type[Result]) -> Result:
        found = self.find(kind)
        if found is None:
            raise MissingStageResultError(
                f"this stage needs a {kind.__name__} from an earlier stage; "
                "check the order of pipeline.stages"
            )
        return found


class Handler(Protocol):
    name: ClassVar[str]
    result_type: ClassVar[type]

    def run(self, job: MovieJob) -> Any:
        """Do the stage's work and return its result dataclass (persisted as JSON)."""
        ...
