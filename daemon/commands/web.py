"""`bunny web`: the review page without the daemon, for a library whose daemon runs under
another account, or to look at one with `--read-only` (every change refused)."""

from __future__ import annotations

import secrets
import sys
import time

from daemon.config import Config
from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.status import EXIT_NO_DATABASE, has_database
from daemon.repository import Repository
from daemon.service.stop_signals import StopSignals
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import page_url, web_access

EXIT_CANNOT_LISTEN = 1
SIGNAL_POLL_SECONDS = 0.2


def serve_page(config: Config, host: str | None, port: int | None, read_only: bool) -> int:
    access = web_access(config, host=host, port=port)  # ConfigError: no password off loopback
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path, read_only=read_only)
    try:
        context = WebContext(config, repo, access, read_only, secrets.token_urlsafe(32))
        server = BackgroundServer(create_app(context), access)
        try:
            url = server.start()
        except OSError as exc:
            where = page_url(access.host, access.port)
            reason = shown(exc.strerror or str(exc), REASON_LIMIT)
            print(f"bunny: cannot listen at {where}: {reason}", file=sys.stderr)
            return EXIT_CANNOT_LISTEN
        mode = " (read-only)" if read_only else ""
        print(f"review page at {url}{mode}; Ctrl-C stops it", flush=True)
        _wait_for_a_stop_signal()
        server.stop()
        return 0
    finally:
        repo.close()


def _wait_for_a_stop_signal() -> None:
    """Ctrl-C or SIGTERM end it with status 0, as they end the daemon."""
    signals = StopSignals()
    signals.install()
    while signals.received() is None:
        time.sleep(SIGNAL_POLL_SECONDS)
