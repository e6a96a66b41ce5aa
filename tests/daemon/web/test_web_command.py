"""`bunny web` as a real process: the address it prints, the refusal to listen beyond
loopback without a password, and --read-only."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from daemon.config import Config
from daemon.repository import Repository
from daemon.store import MovieState
from tests.daemon.web.page_server import csrf_token, library_config

ADDRESS = re.compile(r"review page at (http://\S+?)/?[;\s]")


def bunny_web(config: Config, *args: str, env: dict[str, str] | None = None) -> list[str]:
    return [
        sys.executable, "-m", "daemon.commands.cli", "web",
        "--library", str(config.library), *args,
    ]  # fmt: skip


@contextmanager
def web_process(
    config: Config, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        bunny_web(config, "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **(env or {})),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = ADDRESS.search(line)
        assert found is not None, (line, process.stderr.read() if process.stderr else "")
        yield found.group(1), process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_serves_the_page_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    with web_process(config) as (url, process):
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/", timeout=30).status_code == 200
    assert process.returncode == 0


def test_refuses_to_listen_beyond_loopback_without_a_password(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "BUNNY_WEB_PASSWORD"}
    done = subprocess.run(
        bunny_web(config, "--host", "0.0.0.0", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert "config error" in done.stderr
    assert "'web.host' is 0.0.0.0" in done.stderr
    assert "BUNNY_WEB_PASSWORD" in done.stderr


def test_listens_beyond_loopback_with_a_password_from_the_environment(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    secret = "s3cret-from-env"
    env = {"BUNNY_WEB_PASSWORD": secret}
    with web_process(config, "--host", "0.0.0.0", env=env) as (url, process):
        port = url.rsplit(":", 1)[1]
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert page.status_code == 303
        assert page.headers["location"] == "/login"
    assert process.stderr is not None
    assert secret not in process.stderr.read()


def test_read_only_refuses_changes(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    repo = Repository(config.database_path)
    movie = repo.add_movie("d" * 64, "broken.mkv", Path("/m/broken.mkv"), 10)
    repo.mark_failed(movie.id, "an I/O error", 4)
    repo.close()
    with (
        web_process(config, "--read-only") as (url, _process),
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        token = csrf_token(client)
        response = client.post("/movies/retry-failed", data={"csrf_token": token})
        assert response.status_code == 403
        assert "read-only" in response.text
    repo = Repository(config.database_path, read_only=True)
    try:
        assert repo.movie(movie.id).state is MovieState.FAILED
    finally:
        repo.close()


def test_without_a_database_it_says_so(tmp_path: Path) -> None:
    config = library_config(tmp_path)
    config.database_path.unlink()
    done = subprocess.run(bunny_web(config, "--port", "0"), capture_output=True, text=True)
    assert done.returncode == 1
    assert "no database" in done.stderr
