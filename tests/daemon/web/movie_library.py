"""A library for the movies pages' tests, written through the repository as the stages
write it (tests/daemon/reports/page_library.py), plus a failed movie named like markup."""

from __future__ import annotations

from daemon.config import Config
from daemon.repository import MovieRecord, Repository
from tests.daemon.reports.page_library import PageLibrary, build_library, sha
from tests.daemon.web.page_server import XSS


def movie_library(config: Config) -> tuple[PageLibrary, MovieRecord]:
    repo = Repository(config.database_path)
    try:
        built = build_library(repo, config.library)
        hostile = repo.add_movie(sha("hostile"), f"{XSS}.mkv", config.library / "x.mkv", 10)
        repo.mark_failed(hostile.id, f"cannot decode {XSS}", 4)
        return built, repo.movie(hostile.id)
    finally:
        repo.close()
