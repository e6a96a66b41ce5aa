"""`bunny retry [MOVIE]`: failed and waiting movies back to the queue, to run now."""

from __future__ import annotations

import sys

from daemon.config import Config
from daemon.reports.status import EXIT_NO_DATABASE, EXIT_NO_MATCH, has_database
from daemon.repository import Repository
from daemon.store import MovieState


def retry_movies(config: Config, key: str | None) -> int:
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path)
    try:
        retryable = {MovieState.FAILED, MovieState.WAITING}
        candidates = repo.find_movies(key) if key else repo.movies()
        chosen = [m for m in candidates if m.state in retryable]
        if not chosen:
            what = f"matching '{key}'" if key else ""
            print(f"no failed or waiting movie {what}".strip(), file=sys.stderr)
            return EXIT_NO_MATCH
        repo.retry([m.id for m in chosen])
        for movie in chosen:
            print(f"requeued {movie.key}  {movie.name}")
        return 0
    finally:
        repo.close()
