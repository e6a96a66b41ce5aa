"""The overview page over a real server: what it shows, escaping, the polled fragment."""

from __future__ import annotations

from pathlib import Path

from tests.daemon.web.page_server import XSS, library_config, served


def add_movies(repo_path: Path) -> None:
    from daemon.repository import Repository
    from daemon.store import utcnow

    repo = Repository(repo_path)
    try:
        running = repo.add_movie("a" * 64, "Big Buck Bunny.mkv", Path("/m/b.mkv"), 10)
        repo.claim_next(utcnow())
        repo.start_stage(running.id, "shots")
        repo.set_progress(running.id, "shots", 0.5)
        failed = repo.add_movie("b" * 64, XSS, Path("/m/x.mkv"), 10)
        repo.mark_failed(failed.id, f"cannot read {XSS}", 3)
    finally:
        repo.close()


def test_overview_shows_movies_in_flight_and_failed(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    add_movies(config.database_path)
    with served(config) as page, page.client() as client:
        response = client.get("/")
        assert response.status_code == 200
        text = response.text
        assert "Big Buck Bunny.mkv" in text
        assert "shots" in text
        assert '<progress max="1" value="0.5">' in text
        assert "Retry failed movies" in text
        assert "not running" in text  # no daemon beats here
        assert 'hx-get="/overview/body" hx-trigger="every 2s"' in text


def test_user_names_are_escaped(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    add_movies(config.database_path)
    with served(config) as page, page.client() as client:
        for path in ("/", "/overview/body"):
            text = client.get(path).text
            assert XSS not in text
            assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_fragment_is_the_overview_without_the_page_around_it(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    add_movies(config.database_path)
    with served(config) as page, page.client() as client:
        body = client.get("/overview/body", headers={"HX-Request": "true"})
        assert body.status_code == 200
        assert body.text.lstrip().startswith('<div id="overview"')
        assert "<nav" not in body.text
        assert "Big Buck Bunny.mkv" in body.text


def test_every_response_carries_the_security_headers(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    with served(config) as page, page.client() as client:
        for path in ("/", "/overview/body", "/static/htmx.min.js", "/movies", "/nowhere"):
            headers = client.get(path).headers
            assert "default-src 'self'" in headers["content-security-policy"], path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff", path


def test_the_page_has_no_inline_script(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    with served(config) as page, page.client() as client:
        text = client.get("/").text
        scripts = text.count("<script")
        assert scripts == text.count('<script src="/static/'), "an inline script"
        assert client.get("/static/htmx.min.js").status_code == 200
