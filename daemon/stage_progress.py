"""A running stage's progress: stored for `bunny status` and the review page, logged now and
then for whoever tails the log."""

from __future__ import annotations

import time
from typing import Any

from daemon.repository import Repository

PROGRESS_INTERVAL_SECONDS = 0.5
# A stage longer than this says how far it has got in the log, once per this many seconds.
PROGRESS_LOG_SECONDS = 15.0


class StageProgress:
    """Persists a stage's progress (for `bunny status`) and logs it now and then."""

    def __init__(self, repo: Repository, movie_id: int, stage: str, log: Any) -> None:
        self._repo, self._movie_id, self._stage, self._log = repo, movie_id, stage, log
        self._last = 0.0
        self._logged = time.monotonic()

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_SECONDS or fraction >= 1.0:
            self._last = now
            self._repo.set_progress(self._movie_id, self._stage, fraction)
        if now - self._logged >= PROGRESS_LOG_SECONDS and fraction < 1.0:
            self._logged = now
            self._log.info("stage progress", progress=round(fraction, 3))
