"""`bunny retry [MOVIE]`: failed and waiting movies back to the queue, to run now. The review
page's retry calls `requeue_movies` too: one path into the database."""

from __future__ import annotations

import sys

from daemon.config import Config
from daemon.reports.status import EXIT_NO_DATABASE, EXIT_NO_MATCH, has_database
from daemon.repository import MovieRecord, Repository
from daemon.store import MovieState

RETRYABLE = frozenset({MovieState.FAILED, MovieState.WAITING})


def requeue_movies(repo: Repository, key: str | None) -> list[MovieRecord]:
    """Requeue the failed and waiting movies (those whose id starts with `key`); the list of
    those requeued, empty when none matched."""
    candidates = repo.find_movies(key) if key else repo.movies()
    chosen = [m for m in candidates if m.state in RETRYABLE]
    if chosen:
        repo.retry([m.id for m in chosen])
    return chosen


def retry_movies(config: Config, key: str | None) -> int:
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path)
    try:
        chosen = requeue_movies(repo, key)
        if not chosen:
            what = f"matching '{key}'" if key else ""
            print(f"no failed or waiting movie {what}".strip(), file=sys.stderr)
            return EXIT_NO_MATCH
        for movie in chosen:
            print(f"requeued {movie.key}  {movie.name}")
        return 0
    finally:
        repo.close()
