"""Retry from a movie's page over a real server: the CSRF token, read-only, and the same
rows as `bunny retry <id>` changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from daemon.config import Config
from daemon.repository import Repository
from daemon.store import MovieState
from tests.daemon.reports.page_library import PageLibrary
from tests.daemon.web.movie_library import movie_library
from tests.daemon.web.page_server import csrf_token, library_config, served


def failed_library(root: Path) -> tuple[Config, PageLibrary]:
    config = library_config(root)
    built, _ = movie_library(config)
    return config, built


def movie_fields(repo: Repository, key: str) -> tuple[object, ...]:
    (movie,) = [m for m in repo.movies() if m.key == key]
    return (movie.state, movie.stage, movie.progress, movie.attempts, movie.next_attempt_at,
            movie.last_error, movie.finished_at)  # fmt: skip


def test_retry_needs_the_session_token(tmp_path: Path) -> None:
    config, built = failed_library(tmp_path)
    retry = f"/movies/{built.failed.key}/retry"
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        refused = client.post(retry, data={"other": "x"})
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert movie_fields(page.repo, built.failed.key)[0] is MovieState.FAILED
        done = client.post(retry, data={"csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"/movies/{built.failed.key}")
        assert movie_fields(page.repo, built.failed.key)[0] is MovieState.QUEUED
        assert "requeued: the daemon takes it up again" in client.get(done.headers["location"]).text


def test_retry_of_a_movie_that_is_not_failed_or_unknown(tmp_path: Path) -> None:
    config, built = failed_library(tmp_path)
    with served(config) as page, page.client() as client:
        header = {"X-CSRF-Token": csrf_token(client)}
        done = client.post(f"/movies/{built.done.key}/retry", headers=header)
        assert done.status_code == 303
        assert "nothing to retry: the movie is done" in client.get(done.headers["location"]).text
        assert movie_fields(page.repo, built.done.key)[0] is MovieState.DONE
        assert client.post(f"/movies/{'0' * 12}/retry", headers=header).status_code == 404


def test_retry_on_the_page_changes_the_rows_bunny_retry_changes(tmp_path: Path) -> None:
    on_page, built = failed_library(tmp_path / "page")
    by_command, _ = failed_library(tmp_path / "command")
    with served(on_page) as page, page.client() as client:
        header = {"X-CSRF-Token": csrf_token(client)}
        assert client.post(f"/movies/{built.failed.key}/retry", headers=header).status_code == 303
    command = [sys.executable, "-m", "daemon.commands.cli", "retry", built.failed.key,
               "--library", str(by_command.library)]  # fmt: skip
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    seen = Repository(on_page.database_path)
    expected = Repository(by_command.database_path)
    try:
        keys = [movie.key for movie in expected.movies()]
        assert [movie_fields(seen, key) for key in keys] == [
            movie_fields(expected, key) for key in keys
        ]
        assert movie_fields(seen, built.failed.key)[0] is MovieState.QUEUED
    finally:
        seen.close()
        expected.close()


def test_read_only_shows_no_retry_and_refuses_one(tmp_path: Path) -> None:
    config, built = failed_library(tmp_path)
    with served(config, read_only=True) as page, page.client() as client:
        token = csrf_token(client)
        text = client.get(f"/movies/{built.failed.key}").text
        assert "Retry</button>" not in text
        response = client.post(f"/movies/{built.failed.key}/retry", data={"csrf_token": token})
        assert response.status_code == 403 and "read-only" in response.text
        assert movie_fields(page.repo, built.failed.key)[0] is MovieState.FAILED
