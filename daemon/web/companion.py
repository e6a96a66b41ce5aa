"""The review page served by the daemon, beside its work (daemon/service/companions.py).

A port already in use is a warning in the log and the daemon goes on without the page; the
address it serves at is in the log and in the database, where `bunny status` reads it.
"""

from __future__ import annotations

import secrets

import structlog

from daemon.config import Config
from daemon.repository import Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import WebAccess, page_url, web_access


class PageCompanion:
    def __init__(self, config: Config, access: WebAccess | None) -> None:
        """`access` None: web.enabled is false, and the page is not served."""
        self._config = config
        self._access = access
        self._server: BackgroundServer | None = None
        self._repo: Repository | None = None
        self._log = structlog.get_logger("web")

    def start(self, repo: Repository) -> None:
        self._repo = repo
        repo.save_web_address(None)  # until it is served: no address from an earlier run
        access = self._access
        if access is None:
            self._log.info("review page off (web.enabled: false)")
            return
        context = WebContext(
            self._config, repo, access, read_only=False, secret_key=secrets.token_urlsafe(32)
        )
        server = BackgroundServer(create_app(context), access)
        try:
            url = server.start()
        except OSError as exc:
            self._log.warning(
                "review page not served: cannot listen there; the daemon goes on without it",
                address=page_url(access.host, access.port),
                reason=exc.strerror or str(exc),
            )
            return
        self._server = server
        repo.save_web_address(url)
        self._log.info(f"review page at {url}", url=url, password=access.password is not None)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        if self._repo is not None:
            self._repo.save_web_address(None)


def page_companions(config: Config) -> list[PageCompanion]:
    """The page beside a daemon run by a service host (Windows): as `bunny run` has it. Raises
    ConfigError for a non-loopback address without a password, which stops the start."""
    return [PageCompanion(config, web_access(config) if config.web.enabled else None)]
