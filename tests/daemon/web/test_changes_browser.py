"""Changes from the page in a real Chromium: the overview's "Retry failed movies" button
requeues a movie that failed for real, as `bunny retry` does; the same post from a page of
another origin is refused and changes nothing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from daemon.repository import Repository
from daemon.store import MovieState
from tests.conftest import DaemonProcess, wait_for
from tests.daemon.web.browser_steps import WAIT_MS, card, drop_movie, page_of
from tests.daemon.web.page_server import library_config, served
from tests.test_end_to_end import states

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

MOVIE = "Elephants Dream (2006).mp4"
ATTACK = """<!doctype html>
<html><head><meta charset="utf-8"><title>a page elsewhere</title></head><body>
<form method="post" action="{action}">{token}<button id="go" type="submit">win a prize</button>
</form></body></html>
"""
TOKEN_FIELD = '<input type="hidden" name="csrf_token" value="{}">'


@contextmanager
def other_origin(html: str) -> Iterator[str]:
    """`html` served from a second local server: another port is another origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def failed_movie(repo: Repository) -> int:
    movie = repo.add_movie("c" * 64, "failed.mkv", Path("/m/failed.mkv"), 10)
    repo.mark_failed(movie.id, "cannot read it", 3)
    return movie.id


FETCH = """async ([action, token]) => {
  const body = new URLSearchParams({csrf_token: token});
  const sent = await fetch(action, {method: "POST", mode: "no-cors", credentials: "include", body});
  return sent.type;
}"""


def session_token(page: Page) -> str:
    """The CSRF token the review page gave this browser's session (as htmx sends it)."""
    headers = page.locator("body").get_attribute("hx-headers") or ""
    return headers.split('"X-CSRF-Token": "')[1].split('"')[0]


def post_from(page: Page, how: str, action: str, token: str) -> Response | None:
    """From the page of another origin now open: its form (with the token or without), or its
    script's fetch with the token. The review page's answer, as the browser got it."""
    if how == "script-leaked-token":
        with page.expect_response(action) as answer:
            assert page.evaluate(FETCH, [action, token]) == "opaque"
        return answer.value
    with page.expect_navigation() as navigation:
        page.click("#go")
    return navigation.value


@pytest.mark.parametrize("how", ["form-no-token", "form-leaked-token", "script-leaked-token"])
def test_a_page_from_another_origin_cannot_retry(
    tmp_path: Path, browser_page: Page, how: str
) -> None:
    """With the user's session cookie in the browser (another port of 127.0.0.1 is the same
    site, so even the SameSite=Strict cookie goes along), and even with the session's CSRF
    token known to the other page, its post is refused and the failed movie stays failed."""
    config = library_config(tmp_path)
    with served(config) as review:
        movie_id = failed_movie(review.repo)
        browser_page.goto(review.url + "/")  # the user has the page open: a session exists
        token = session_token(browser_page)
        action = review.url + "/movies/retry-failed"
        field = TOKEN_FIELD.format(token) if how == "form-leaked-token" else ""
        with other_origin(ATTACK.format(action=action, token=field)) as elsewhere:
            browser_page.goto(elsewhere)
            response = post_from(browser_page, how, action, token)
            assert response is not None
            assert response.status == 403
            # Without the token any of the guard's checks refuses; with it, only the origin's.
            # (A no-cors fetch's answer is opaque: the browser keeps no body to read.)
            if how != "script-leaked-token":
                refusal = "refused: the request came from another site" if field else "refused:"
                assert refusal in response.text()
        movie = review.repo.movie(movie_id)
        assert movie.state is MovieState.FAILED
        assert movie.attempts == 3


def test_the_retry_button_requeues_a_movie_that_failed(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    browser_page: Page,
) -> None:
    from playwright.sync_api import expect

    stages = {"stages": ["probe", "shots"], "stage_delay_seconds": 3}
    daemon = daemon_factory(pipeline={**stages, "retry_backoff_seconds": []})
    page_of(daemon, browser_page)
    movie = drop_movie(daemon, make_clip(), MOVIE)
    aside = daemon.root / "aside"
    aside.mkdir()
    # The user takes the movie away while a stage holds it: the stage fails, and with no
    # retry left the movie is failed.
    wait_for(lambda: states(daemon).get(MOVIE) == "running", timeout=WAIT_MS / 1000)
    shutil.move(movie, aside / MOVIE)
    failed = browser_page.locator("section", has=browser_page.locator("h2", has_text="Failed"))
    expect(failed.locator("tbody tr")).to_contain_text(MOVIE, timeout=WAIT_MS)
    assert states(daemon) == {MOVIE: "failed"}

    shutil.move(aside / MOVIE, movie)  # back where it was
    with browser_page.expect_navigation():
        browser_page.get_by_role("button", name="Retry failed movies").click()
    expect(browser_page.locator(".notice")).to_have_text("requeued 1 movie(s)")
    assert states(daemon)[MOVIE] in {"queued", "running", "done"}
    wait_for(lambda: states(daemon) == {MOVIE: "done"}, timeout=WAIT_MS / 1000)
    expect(card(browser_page, "Queue")).to_contain_text("1 done")
