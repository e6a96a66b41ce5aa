"""The processes that find faces for the faces stage: one pool for the daemon's life.

dlib is not thread-safe (face_matching runs it one call at a time), so threads cannot put a
second core to work on faces; processes can. The pool starts at its first frame, each worker
loading dlib and the detector once, and stops with the daemon (`close`). Workers are started
with `spawn`, never `fork`: the daemon has threads, and a forked child would inherit their
locks held. A worker that dies (kill -9, a crash inside dlib) fails the stage attempt that
waited on it, with an error saying so; the next frame starts a fresh pool, and the pipeline's
retry policy runs the stage again.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import structlog

from handlers.base import StageCancelledError
from handlers.face_matching import DetectedFace, Detector
from handlers.face_search import FrameSearch, search_frame, start_worker

# Frames handed out ahead per worker: enough that none waits for the next, few enough that a
# stop cancels the rest at once.
AHEAD_PER_WORKER = 2
# How often a wait for a frame looks at the stop request (a CNN frame takes seconds).
CANCEL_CHECK_SECONDS = 0.2
STOPPED = "the face workers were stopped: the daemon is stopping"

Found = list[DetectedFace]
Results = Generator[Found, None, None]


class FaceWorkerLostError(RuntimeError):
    """A worker process ended in the middle of the stage's frames."""


class FaceWorkers:
    """Finds the faces of many frames, in `count` worker processes (1: in this process)."""

    def __init__(self, count: int = 1) -> None:
        if count < 1:
            raise ValueError(f"face workers must be at least 1, got {count}")
        self.count = count
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._log = structlog.get_logger("faces")

    def search(self, searches: Sequence[FrameSearch], check: Callable[[], None]) -> Results:
        """Each frame's faces, in the order of `searches`. `check` is called while waiting and
        raises to stop (the stage's cancellation); frames not started yet are then dropped."""
        if self.count == 1:
            return (search_frame(search) for search in searches)
        return self._in_workers(searches, check)

    def close(self) -> None:
        """Stops the workers once their frames in hand are done; no search runs after it."""
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._log.info("face workers stopped")

    def _in_workers(self, searches: Sequence[FrameSearch], check: Callable[[], None]) -> Results:
        if not searches:
            return
        pool = self._pool_for(searches[0].detector)
        upcoming = iter(searches)
        pending: deque[tuple[FrameSearch, Future[Found]]] = deque()
        try:
            while True:
                while len(pending) < self.count * AHEAD_PER_WORKER:
                    search = next(upcoming, None)
                    if search is None:
                        break
                    pending.append((search, self._submit(pool, search, check)))
                if not pending:
                    return
                yield self._result(pool, *pending[0], check)
                pending.popleft()
        finally:
            for _, future in pending:
                future.cancel()

    def _pool_for(self, detector: Detector) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise StageCancelledError(STOPPED)
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                # The interpreter sys.executable names now: under the Windows service it was
                # changed from pythonservice.exe to python.exe (service/process.py) after
                # multiprocessing may have noted the first one.
                context.set_executable(sys.executable)
                self._pool = ProcessPoolExecutor(
                    self.count,
                    mp_context=context,
                    initializer=start_worker,
                    initargs=(detector,),
                )
                self._log.info("face workers starting", workers=self.count, detector=detector)
            return self._pool

    def _submit(
        self, pool: ProcessPoolExecutor, search: FrameSearch, check: Callable[[], None]
    ) -> Future[Found]:
        try:
            return pool.submit(search_frame, search)
        except BrokenProcessPool as exc:  # broken under another stage's frame
            raise self._lost(pool, search, check) from exc
        except RuntimeError:  # shut down: closed under a stage that outlived the daemon's stop
            if self._closed:
                raise StageCancelledError(STOPPED) from None
            raise

    def _result(
        self,
        pool: ProcessPoolExecutor,
        search: FrameSearch,
        future: Future[Found],
        check: Callable[[], None],
    ) -> Found:
        while True:
            check()
            try:
                return future.result(timeout=CANCEL_CHECK_SECONDS)
            except TimeoutError:
                continue
            except CancelledError:  # closed under a stage that outlived the daemon's stop
                raise StageCancelledError(STOPPED) from None
            except BrokenProcessPool as exc:
                raise self._lost(pool, search, check) from exc

    def _lost(
        self, pool: ProcessPoolExecutor, search: FrameSearch, check: Callable[[], None]
    ) -> Exception:
        """The pool cannot be used again: the next frame starts a fresh one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        check()  # a stop that took the workers with it is a cancellation, not a failure
        self._log.warning("a face worker ended abruptly; the next frame starts new workers")
        return FaceWorkerLostError(
            f"a face worker process ended abruptly (killed, out of memory, or crashed in the "
            f"detector) while the stage searched {search.path.name}; the workers are "
            "started again and the stage will be retried"
        )
