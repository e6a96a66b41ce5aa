"""What every page of one running application reads: the settings, the database, the access."""

from __future__ import annotations

from dataclasses import dataclass, field

from daemon.config import Config
from daemon.repository import Repository
from daemon.web_access import WebAccess


@dataclass(frozen=True)
class WebContext:
    config: Config
    repo: Repository  # the daemon's own when it serves the page: one door per process
    access: WebAccess
    read_only: bool
    secret_key: str = field(repr=False)  # signs session cookies; new each start
