"""Where the review page listens and who may open it, decided once from `web.*`.

On the ground floor because three layers ask it: the page itself (daemon/web/), the commands
that start it, and `bunny doctor`. The password is read from the environment variable named by
`web.password_env` first, then from `web.password`; it is never logged or shown.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from daemon.config import Config, ConfigError
from daemon.display_text import shown

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


@dataclass(frozen=True)
class WebAccess:
    host: str
    port: int
    password: str | None = field(repr=False)  # never in a log line or a repr

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that may resolve anywhere


def page_url(host: str, port: int) -> str:
    shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown_host}:{port}/"


def web_access(
    config: Config,
    environ: Mapping[str, str] | None = None,
    host: str | None = None,
    port: int | None = None,
) -> WebAccess:
    """The address and password to serve with (`host`/`port`: a command line's overrides).
    Raises ConfigError for an address other than loopback with no password."""
    web = config.web
    env = os.environ if environ is None else environ
    password = env.get(web.password_env) or web.password
    chosen = WebAccess(host or web.host, web.port if port is None else port, password)
    if not chosen.loopback and not chosen.password:
        where = config.source or "built-in defaults"
        raise ConfigError(
            f"{where}: 'web.host' is {shown(chosen.host)}, which other machines can reach, and "
            f"no password is set: set 'web.password' or the environment variable "
            f"{web.password_env}, or listen on 127.0.0.1"
        )
    return chosen
