"""The worker threads that take queued movies through the pipeline, one pass at a time.

A worker claims the next movie (none while the disk floor pauses new work), runs its pass
with the labels guard, and notes how it ended for `run --once`'s exit status. A pass whose
end cannot be recorded (the database's disk is full) is released as soon as it can be, so
a movie never stays `running` while the daemon lives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from daemon.characters.upkeep import LibraryUpkeep
from daemon.pipeline import Pipeline
from daemon.repository import MovieRecord, Repository
from daemon.service.disk_guard import DiskGuard
from daemon.store import MovieState, utcnow


@dataclass(frozen=True)
class WorkerSettings:
    count: int
    idle_wait_seconds: float  # how long an idle worker sleeps unless woken
    release_retry_seconds: float  # between tries to record a pass's end on a full disk
    stop_timeout_seconds: float


class MovieWorkers:
    def __init__(
        self,
        repo: Repository,
        pipeline: Pipeline,
        upkeep: LibraryUpkeep,
        disk: DiskGuard,
        settings: WorkerSettings,
        events: tuple[threading.Event, threading.Event],
        on_done: Callable[[], None],
    ) -> None:
        """`events`: the daemon's stop event and the event that wakes idle workers;
        `on_done`: called after a movie ends done (its datasets changed)."""
        self._repo, self._pipeline, self._upkeep, self._disk = repo, pipeline, upkeep, disk
        self._settings = settings
        self._stop, self._wake = events
        self._on_done = on_done
        self._lock = threading.Lock()
        self._unfinished: set[str] = set()
        self._threads = [
            threading.Thread(target=self._work, name=f"worker-{i}", daemon=True)
            for i in range(settings.count)
        ]
        self._log = structlog.get_logger("daemon")

    @property
    def unfinished(self) -> bool:
        """Whether a movie this process ran last ended failed or waiting."""
        with self._lock:
            return bool(self._unfinished)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        deadline = self._settings.stop_timeout_seconds
        for thread in self._threads:
            thread.join(timeout=deadline / max(1, len(self._threads)))
        if any(t.is_alive() for t in self._threads):
            # A stage that ignores cancellation: leave it, and requeue its movie for next time.
            for movie in self._repo.requeue_abandoned():
                self._log.warning("stage still running at stop; requeued", movie=movie.key)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                movie = None if self._disk.paused else self._repo.claim_next(utcnow())
                if movie is not None:
                    self._pass(movie)
            except Exception:
                self._log.exception("worker error; it goes on with the next movie")
                movie = None
            if movie is None:
                self._wake.wait(self._settings.idle_wait_seconds)
                self._wake.clear()

    def _pass(self, movie: MovieRecord) -> None:
        guard = self._upkeep.labels_guard(movie.id)
        try:
            # A movie is marked done only with the labels it was matched against.
            state = self._pipeline.process(movie, guard)
        except Exception as exc:
            self._log.exception("could not record the end of a pass; trying until it can")
            state = self._release_when_possible(movie, exc)
        self._note(movie.key, state)
        if state is not MovieState.DONE and guard.stale:
            # It stopped early: its faces, stored on the references of the moment, are
            # matched again like everyone else's.
            self._upkeep.references_changed(movie.id)
        if state is MovieState.DONE:
            self._on_done()

    def _release_when_possible(self, movie: MovieRecord, exc: Exception) -> MovieState:
        """Stopped first, the movie stays running, and the next start queues it again."""
        while not self._stop.wait(self._settings.release_retry_seconds):
            try:
                return self._pipeline.release(movie, exc)
            except Exception:
                continue
        return MovieState.RUNNING

    def _note(self, key: str, state: MovieState) -> None:
        with self._lock:
            if state in (MovieState.FAILED, MovieState.WAITING):
                self._unfinished.add(key)
            else:
                self._unfinished.discard(key)
