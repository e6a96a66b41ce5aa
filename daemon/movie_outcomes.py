"""What becomes of a movie when its stages end: done, rejected, retried, failed, or waiting for
disk space; each recorded in the database, moved in the inbox and written to movie.json.

The pipeline runs the stages; this decides what their end means for the movie, by the kind
of failure (failure_policy) and the back-off ladder.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from daemon.failure_policy import FailureKind, classify
from daemon.intake.image_parts import ImagePartFiles
from daemon.intake.inbox import move_aside, move_into
from daemon.reports.movie_summary import write_movie_summary
from daemon.repository import MovieRecord, Repository
from daemon.store import MovieState, SourceKind, utcnow

if TYPE_CHECKING:
    from daemon.pipeline import PipelineSettings


def error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


class MovieOutcomes:
    def __init__(
        self, repo: Repository, settings: PipelineSettings, parts: ImagePartFiles, log: Any
    ) -> None:
        self._repo, self._settings, self._parts, self._log = repo, settings, parts, log

    def failed(self, stage: str, movie: MovieRecord, exc: Exception, seconds: float) -> MovieState:
        """What the failure is (failure_policy) decides: reject, wait for space, or retry."""
        error = error_text(exc)
        kind = classify(exc)
        if kind is FailureKind.NO_SPACE:
            self._log.warning("stage stopped by a full disk", error=error)
            return self.wait_for_space(movie, error)
        self._repo.fail_stage(movie.id, stage, seconds, error)
        if kind is FailureKind.INPUT:
            return self.reject(movie, f"the file cannot be read as a movie ({stage}): {exc}")
        self._log.error("stage failed", error=error, seconds=round(seconds, 3), exc_info=True)
        return self.retry_or_fail(movie, error)

    def wait_for_space(self, movie: MovieRecord, error: str) -> MovieState:
        at = utcnow() + timedelta(seconds=self._settings.no_space_retry_seconds)
        self._repo.defer_movie(movie.id, f"waiting for disk space: {error}", at)
        self._log.warning("movie waits for disk space", at=at.isoformat() + "Z")
        return MovieState.WAITING

    def reject(self, movie: MovieRecord, reason: str) -> MovieState:
        moved = movie.path
        try:
            if movie.kind is SourceKind.MOVIE:  # a part's folder holds other images
                moved = move_aside(movie.path, self._settings.inbox.rejected, reason)
        except OSError as exc:
            self._log.error("could not move the rejected file aside", error=str(exc))
        self._repo.set_movie_path(movie.id, moved)
        self._repo.mark_rejected(movie.id, reason)
        self.write_summary(movie.id)
        self._log.warning("movie rejected", reason=reason, moved_to=str(moved))
        return MovieState.REJECTED

    def retry_or_fail(self, movie: MovieRecord, error: str) -> MovieState:
        attempts = movie.attempts + 1
        ladder = self._settings.backoff_seconds
        if attempts <= len(ladder):
            at = utcnow() + timedelta(seconds=ladder[attempts - 1])
            self._repo.schedule_retry(movie.id, error, attempts, at)
            self._log.warning("movie will be retried", attempt=attempts, at=at.isoformat() + "Z")
            return MovieState.WAITING
        self._repo.mark_failed(movie.id, error, attempts)
        self._log.error("movie failed; `bunny retry` requeues it", attempts=attempts)
        return MovieState.FAILED

    def finish(self, movie: MovieRecord) -> None:
        if movie.kind is SourceKind.IMAGES:
            self._parts.finish(movie)
        elif self._settings.move_done_movies and movie.path.parent != self._settings.inbox.done:
            try:
                moved = move_into(movie.path, self._settings.inbox.done)
            except OSError as exc:  # done/ replaced by a link, say: the movie stays put
                self._log.error("could not move the movie to done/", error=str(exc))
                moved = movie.path
            self._repo.set_movie_path(movie.id, moved)
        self._repo.mark_done(movie.id)
        self.write_summary(movie.id)
        self._log.info("movie done", file=movie.name)

    def write_summary(self, movie_id: int) -> None:
        write_movie_summary(self._repo, self._settings.library, movie_id)
