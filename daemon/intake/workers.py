"""Settled inbox files are taken on intake threads, never on the main thread.

The main thread only moves files from the settle gate to here, pets the watchdog and
answers signals; taking a file means reading it (hashing a 50 GB movie takes minutes, a
photo is searched for faces), so it runs here, a few files at a time: a big movie being
hashed does not hold up the small files dropped after it. A file counts as pending from
`submit` until its take has ended, so `run --once` never mistakes a file being hashed for
an idle inbox, and a file offered again while it is being taken is not taken twice.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from daemon.intake.inbox_open import TakeAbandonedError

INTAKE_THREADS = 3
_WAIT_SECONDS = 0.2


class IntakeWorkers:
    def __init__(
        self, take: Callable[[Path], None], stop: threading.Event, count: int = INTAKE_THREADS
    ) -> None:
        self._take = take
        self._stop = stop
        self._queue: queue.Queue[Path] = queue.Queue()
        self._in_flight: set[Path] = set()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"intake-{i}", daemon=True)
            for i in range(count)
        ]
        self._log = structlog.get_logger("intake")

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, path: Path) -> None:
        with self._lock:
            if path in self._in_flight:
                return
            self._in_flight.add(path)
        self._queue.put(path)

    def pending(self) -> int:
        """Files submitted whose take has not ended."""
        with self._lock:
            return len(self._in_flight)

    def pending_paths(self) -> list[Path]:
        with self._lock:
            return list(self._in_flight)

    def join(self, timeout: float) -> None:
        """After the stop event: a hash gives way within a chunk; a face search may not."""
        for thread in self._threads:
            thread.join(timeout / len(self._threads))

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                path = self._queue.get(timeout=_WAIT_SECONDS)
            except queue.Empty:
                continue
            try:
                self._take_one(path)
            finally:
                with self._lock:
                    self._in_flight.discard(path)

    def _take_one(self, path: Path) -> None:
        try:
            self._take(path)
        except TakeAbandonedError:
            pass  # stopping; the next start's rescan offers it again
        except FileNotFoundError:
            self._log.info("file gone before it was taken", file=str(path))
        except Exception as exc:
            # The file is offered again by the next rescan.
            self._log.error("could not take file", file=str(path), error=str(exc))
