"""`bunny web`: the review page without the daemon, for a library whose daemon runs under
another account, or to look at one with `--read-only` (every change refused)."""

from __future__ import annotations

import secrets
import sys

from daemon.config import Config
from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.status import EXIT_NO_DATABASE, has_database
from daemon.repository import Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import bind, bound_url, uvicorn_server
from daemon.web_access import page_url, web_access

EXIT_CANNOT_LISTEN = 1


def serve_page(config: Config, host: str | None, port: int | None, read_only: bool) -> int:
    access = web_access(config, host=host, port=port)  # ConfigError: no password off loopback
    if not has_database(config):
        return EXIT_NO_DATABASE
    try:
        sock = bind(access)
    except OSError as exc:
        where = page_url(access.host, access.port)
        reason = shown(exc.strerror or str(exc), REASON_LIMIT)
        print(f"bunny: cannot listen at {where}: {reason}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    repo = Repository(config.database_path, read_only=read_only)
    try:
        context = WebContext(config, repo, access, read_only, secrets.token_urlsafe(32))
        server = uvicorn_server(create_app(context))
        mode = " (read-only)" if read_only else ""
        print(f"review page at {bound_url(sock, access)}{mode}; Ctrl-C stops it", flush=True)
        server.run(sockets=[sock])  # on this thread: uvicorn answers Ctrl-C and SIGTERM
    finally:
        repo.close()
        sock.close()
    return 0
