"""The review page served for real (uvicorn on a free loopback port, on a thread) over a
temporary library with a real database, and what the tests send it."""

from __future__ import annotations

import http.client
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from daemon.config import Config, load_config
from daemon.repository import Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import WebAccess

XSS = "<img src=x onerror=alert(1)>"
TOKEN = re.compile(r'"X-CSRF-Token": "([^"]+)"')


@dataclass(frozen=True)
class Served:
    url: str  # http://127.0.0.1:PORT, no slash at the end
    repo: Repository
    config: Config

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def raw_get(self, path: str) -> int:
        """GET with the path sent byte for byte (httpx would fold `..` away first)."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def library_config(root: Path) -> Config:
    """A config on `root`/inbox and `root`/library, with its database made."""
    config = load_config(None, {"inbox": str(root / "inbox"), "library": str(root / "library")})
    config.library.mkdir(parents=True, exist_ok=True)
    Repository(config.database_path).close()
    return config


@contextmanager
def served(
    config: Config, read_only: bool = False, password: str | None = None
) -> Iterator[Served]:
    repo = Repository(config.database_path)
    access = WebAccess("127.0.0.1", 0, password)
    context = WebContext(config, repo, access, read_only, secrets.token_urlsafe(32))
    server = BackgroundServer(create_app(context), access)
    url = server.start()
    try:
        yield Served(url.rstrip("/"), repo, config)
    finally:
        server.stop()
        repo.close()


def csrf_token(client: httpx.Client) -> str:
    """The token of this client's session, as the overview gives it to htmx."""
    page = client.get("/")
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)
