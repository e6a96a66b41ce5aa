"""`bunny doctor`'s line about the review page: where it is (or would be) served, and whether
its settings let the daemon start."""

from __future__ import annotations

import peewee as pw

from daemon.config import Config, ConfigError
from daemon.reports.checks import Check, Level
from daemon.reports.status import daemon_running
from daemon.repository import Repository
from daemon.store import SchemaMismatchError, utcnow
from daemon.web_access import page_url, web_access

NAME = "review page"


def review_page_check(config: Config) -> Check:
    if not config.web.enabled:
        return Check(Level.OK, NAME, "off (web.enabled: false); `bunny web` serves it alone")
    try:
        access = web_access(config)
    except ConfigError as exc:
        return Check(
            Level.FAIL,
            NAME,
            str(exc),
            f"set web.password or ${config.web.password_env}, or set web.host: 127.0.0.1",
        )
    guard = "password set" if access.password else "loopback only, no password"
    served = served_address(config)
    if served:
        return Check(Level.OK, NAME, f"served by the running daemon at {served} ({guard})")
    url = page_url(access.host, access.port)
    return Check(Level.OK, NAME, f"{url} while the daemon runs ({guard})")


def served_address(config: Config) -> str | None:
    """The address the running daemon recorded, if it runs and serves the page."""
    if not config.database_path.exists():
        return None
    try:
        repo = Repository(config.database_path, read_only=True)
    except (SchemaMismatchError, OSError, pw.DatabaseError):
        return None  # the database check above says what is wrong with it
    try:
        return repo.web_address() if daemon_running(repo, utcnow()) else None
    except pw.DatabaseError:
        return None
    finally:
        repo.close()
