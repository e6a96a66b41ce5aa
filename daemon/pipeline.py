"""Run one movie through the configured stages, persisting each outcome before the next.

The pipeline alone decides what to skip (a stage already done), times and logs each stage,
turns a failure into a retry on the back-off ladder or a final failure, moves an unusable
file aside, and writes movie.json. Handlers only do their stage's work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import structlog

from daemon.failure_policy import FailureKind, classify
from daemon.intake.image_parts import ImagePartFiles
from daemon.intake.inbox import InboxLayout
from daemon.intake.inbox_open import UnusableFileError, open_inbox_file
from daemon.movie_outcomes import MovieOutcomes, error_text
from daemon.repository import MovieRecord, Repository, StageRunRecord
from daemon.stage_progress import StageProgress
from daemon.store import MovieState, SourceKind, StageStatus, utcnow
from handlers.base import (
    Handler,
    MovieJob,
    RejectedInputError,
    SourceImage,
    StageCancelledError,
    StageContext,
    StageDeferredError,
)
from handlers.image_probe import ImageProbe
from handlers.result_codec import decode, encode


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    library: Path
    inbox: InboxLayout
    backoff_seconds: tuple[float, ...]
    move_done_movies: bool
    stage_delay_seconds: float = 0.0
    no_space_retry_seconds: float = 30.0  # a full disk: the stage waits this long, uncounted


class DoneGuard(Protocol):
    """Asked before a movie is marked done: were the inputs its stages read changed while it
    ran (new references relabel faces)? `settled()` yields False and holds them still until
    the block ends, or yields True once the stages that read them are queued again."""

    def settled(self) -> AbstractContextManager[bool]: ...


class _Unguarded:
    def settled(self) -> AbstractContextManager[bool]:
        return contextlib.nullcontext(False)


class Pipeline:
    def __init__(
        self,
        handlers: Sequence[Handler],
        repo: Repository,
        settings: PipelineSettings,
        stop_event: threading.Event,
        image_handlers: Sequence[Handler] = (),
    ) -> None:
        """`image_handlers`: the stages of a part of an image batch (registry's
        image_part_handlers); a daemon without them never forms parts."""
        self.handlers = list(handlers)
        self.image_handlers = list(image_handlers)
        self._parts = ImagePartFiles(repo, settings.inbox, settings.move_done_movies)
        self._repo = repo
        self._settings = settings
        self._stop = stop_event
        self._log = structlog.get_logger("pipeline")
        self._outcomes = MovieOutcomes(repo, settings, self._parts, self._log)

    def process(self, movie: MovieRecord, guard: DoneGuard | None = None) -> MovieState:
        """Run the unfinished stages of a claimed (running) movie; return its new state.
        `guard` is asked before the movie is marked done (see DoneGuard)."""
        job_id = uuid.uuid4().hex[:8]
        with structlog.contextvars.bound_contextvars(movie=movie.key, job=job_id, stage=None):
            try:
                return self._process(movie, guard or _Unguarded())
            except Exception as exc:
                # Outside any handler (the library's disk full, say): never leave it running.
                self._log.error("pipeline error", error=error_text(exc), exc_info=True)
                return self.release(movie, exc)

    def release(self, movie: MovieRecord, exc: Exception) -> MovieState:
        """Record a pass that broke outside any stage: it waits for disk space, or is retried
        on the ladder. Raises when even that cannot be written (the database's disk full)."""
        if classify(exc) is FailureKind.NO_SPACE:
            return self._outcomes.wait_for_space(movie, error_text(exc))
        return self._outcomes.retry_or_fail(movie, error_text(exc))

    def _process(self, movie: MovieRecord, guard: DoneGuard) -> MovieState:
        while True:
            stopped = self._run_unfinished(movie)
            if stopped is not None:
                return stopped
            with guard.settled() as stale:
                if not stale:
                    self._outcomes.finish(movie)
                    return MovieState.DONE
            self._log.info("labels changed while the movie ran: its later stages run again")

    def _run_unfinished(self, movie: MovieRecord) -> MovieState | None:
        """Run the stages not done yet; the movie's state when one stops it, else None."""
        runs = self._repo.stage_runs(movie.id)
        is_part = movie.kind is SourceKind.IMAGES
        images = self._parts.images(movie) if is_part else ()
        earlier: list[object] = []
        for handler in self.image_handlers if is_part else self.handlers:
            outcome = _done_result(handler, runs.get(handler.name))
            if outcome is None:
                if self._stop.is_set():
                    self._repo.mark_queued(movie.id)
                    return MovieState.QUEUED
                with structlog.contextvars.bound_contextvars(stage=handler.name):
                    outcome = self._run_stage(handler, movie, tuple(earlier), images)
                if isinstance(outcome, MovieState):
                    return outcome
            if isinstance(outcome, ImageProbe):
                self._parts.set_aside(movie, outcome)  # again after a restart: idempotent
            earlier.append(outcome)
        return None

    def _run_stage(
        self,
        handler: Handler,
        movie: MovieRecord,
        earlier: tuple[object, ...],
        images: tuple[SourceImage, ...],
    ) -> MovieState | Any:
        attempt = self._repo.start_stage(movie.id, handler.name)
        self._log.info("stage started", attempt=attempt, file=movie.name)
        context = StageContext(
            report_progress=StageProgress(self._repo, movie.id, handler.name, self._log),
            stop_event=self._stop,
            log=self._log,
            record_deletions=lambda files: self._repo.record_pending_deletions(
                movie.id, handler.name, files
            ),
        )
        job = MovieJob(movie.key, movie.path, self._settings.library, earlier, context, images)
        started = time.monotonic()
        try:
            self._delay_for_testing(context)
            if movie.kind is SourceKind.MOVIE:  # a part's images: checked as probe opens each
                _check_still_usable(movie.path)
            result = handler.run(job)
        except StageCancelledError:
            self._repo.abandon_stage(movie.id, handler.name)
            self._log.info("stage abandoned; it runs again at the next start")
            return MovieState.QUEUED
        except StageDeferredError as exc:
            at = utcnow() + timedelta(seconds=exc.retry_after)
            self._repo.defer_stage(movie.id, handler.name, exc.reason, at)
            self._log.warning("stage deferred", reason=exc.reason, at=at.isoformat() + "Z")
            return MovieState.WAITING
        except RejectedInputError as exc:
            self._repo.fail_stage(movie.id, handler.name, time.monotonic() - started, exc.reason)
            return self._outcomes.reject(movie, exc.reason)
        except Exception as exc:
            return self._outcomes.failed(handler.name, movie, exc, time.monotonic() - started)
        seconds = time.monotonic() - started
        self._repo.finish_stage(movie.id, handler.name, seconds, result)
        self._outcomes.write_summary(movie.id)
        self._log.info("stage done", seconds=round(seconds, 3), result=_brief(encode(result)))
        return result

    def _delay_for_testing(self, context: StageContext) -> None:
        # pipeline.stage_delay_seconds: holds every stage open, so tests (and a curious user)
        # can kill or stop the daemon in the middle of one.
        if self._settings.stage_delay_seconds and self._stop.wait(
            self._settings.stage_delay_seconds
        ):
            context.check_cancelled()


def _check_still_usable(path: Path) -> None:
    """The inbox file, checked again before each stage reads it: it may have been replaced
    (by a FIFO, say) since it was taken."""
    try:
        with open_inbox_file(path):
            pass
    except FileNotFoundError:
        raise FileNotFoundError(f"the movie file is gone: {path}") from None
    except UnusableFileError as exc:
        raise RejectedInputError(str(exc)) from None


def _done_result(handler: Handler, run: StageRunRecord | None) -> object | None:
    """The stored result of a stage already done, or None when it must run (again)."""
    if run is None or run.status is not StageStatus.DONE or not run.result_json:
        return None
    try:
        return decode(handler.result_type, json.loads(run.result_json))
    except (TypeError, ValueError, KeyError):
        # Stored by a version whose result no longer fits: the stage simply runs again.
        return None


def _brief(encoded: Any) -> Any:
    """A result for one log line: numbers and words as they are, lists by their length."""
    if not isinstance(encoded, dict):
        return encoded
    return {
        key: (f"{len(value)} items" if isinstance(value, list) else value)
        for key, value in encoded.items()
        if not isinstance(value, dict)
    }
