"""Changes over a real server: CSRF token, same origin, read-only; GET changes nothing."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Config
from daemon.repository import Repository
from daemon.store import MovieState
from tests.daemon.web.page_server import Served, csrf_token, library_config, served

RETRY = "/movies/retry-failed"


def failed_movie(config: Config) -> int:
    repo = Repository(config.database_path)
    try:
        movie = repo.add_movie("c" * 64, "broken.mkv", Path("/m/broken.mkv"), 10)
        repo.mark_failed(movie.id, "an I/O error", 4)
        return movie.id
    finally:
        repo.close()


def state_of(page: Served, movie_id: int) -> MovieState:
    return page.repo.movie(movie_id).state


def test_a_change_with_the_session_token_is_made(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        response = client.post(RETRY, data={"csrf_token": token})
        assert response.status_code == 303
        assert state_of(page, movie) is MovieState.QUEUED
        assert "requeued 1 movie(s)" in client.get("/").text


def test_the_token_in_the_header_as_htmx_sends_it(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        response = client.post(RETRY, headers={"X-CSRF-Token": token})
        assert response.status_code == 303
        assert state_of(page, movie) is MovieState.QUEUED


def test_a_change_without_a_token_is_refused(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as client:
        csrf_token(client)  # a session exists; the form just does not carry its token
        response = client.post(RETRY, data={"other": "x"})
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert state_of(page, movie) is MovieState.FAILED


def test_a_wrong_token_or_another_sessions_token_is_refused(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as mine, page.client() as theirs:
        csrf_token(mine)
        their_token = csrf_token(theirs)
        assert mine.post(RETRY, data={"csrf_token": "x" * 43}).status_code == 403
        assert mine.post(RETRY, data={"csrf_token": their_token}).status_code == 403
        assert state_of(page, movie) is MovieState.FAILED


def test_a_post_from_another_origin_is_refused_even_with_the_token(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        for origin in ("http://evil.example", "null", page.url.replace("127.0.0.1", "localhost")):
            response = client.post(RETRY, data={"csrf_token": token}, headers={"Origin": origin})
            assert response.status_code == 403, origin
            assert "another site" in response.text
        cross = client.post(
            RETRY, data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403
        assert state_of(page, movie) is MovieState.FAILED
        same = client.post(RETRY, data={"csrf_token": token}, headers={"Origin": page.url})
        assert same.status_code == 303


def test_get_changes_nothing(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config) as page, page.client() as client:
        assert client.get(RETRY).status_code == 405
        assert state_of(page, movie) is MovieState.FAILED


def test_read_only_refuses_every_change(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    movie = failed_movie(config)
    with served(config, read_only=True) as page, page.client() as client:
        text = client.get("/").text
        assert "read-only" in text
        assert "Retry failed movies" not in text
        token = csrf_token(client)
        response = client.post(RETRY, data={"csrf_token": token})
        assert response.status_code == 403
        assert "read-only" in response.text
        assert state_of(page, movie) is MovieState.FAILED
