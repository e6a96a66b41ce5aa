"""`bunny recaption`: ask for captions again, after a prompt or provider change.

A caption is otherwise asked for once per image and provider, so changing the prompt or the
chain changes nothing by itself; this marks the chosen captions stale and runs the
`captions` stage of their movies again. A stale caption stays on disk until its new one
arrives, so no image is ever left without text.
"""

from __future__ import annotations

import sys

from daemon.config import Config
from daemon.reports.status import EXIT_NO_DATABASE, EXIT_NO_MATCH, has_database
from daemon.repository import Repository


def recaption(config: Config, character: str | None, provider: str | None) -> int:
    if not has_database(config):
        return EXIT_NO_DATABASE
    if "captions" not in config.pipeline.stages:
        print("bunny: the captions stage is not in pipeline.stages", file=sys.stderr)
        return EXIT_NO_MATCH
    repo = Repository(config.database_path)
    try:
        if character is not None and repo.character(character) is None:
            print(f"bunny: no character named {character!r}", file=sys.stderr)
            return EXIT_NO_MATCH
        movies = repo.mark_captions_stale(character, provider)
        repo.requeue_stages(movies, ("captions",), busy_too=True)
    finally:
        repo.close()
    whose = f"{character}'s" if character else "all"
    source = f" from {provider}" if provider else ""
    print(f"{whose} captions{source} will be asked for again ({len(movies)} movie(s) requeued)")
    return 0
