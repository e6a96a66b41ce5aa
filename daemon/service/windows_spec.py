"""What `bunny service` asks of Windows, as a checked `ServiceSpec`.

Checked by code that runs anywhere (the config file must load, an account needs its
password, the name must be one Windows accepts). `windows_service/` reads its names from
here and the command (`daemon/commands/service.py`) builds the spec here; nothing here
imports `windows_service`, so the arrows go one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from daemon.config import load_config

DEFAULT_SERVICE_NAME = "diffusion-bunny"
CONFIG_OPTION = "config"  # the service's registry parameter holding the config file's path
DEFAULT_WAIT_SECONDS = 30

Action = Literal["install", "remove", "start", "stop"]
Startup = Literal["auto", "manual", "delayed"]

# Windows allows more (up to 256 characters, no slashes), but a name also used in `sc`,
# `net start` and registry paths is safest plain.
SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


class ServiceSpecError(ValueError):
    """The command cannot be carried out as given; the message says why."""


@dataclass(frozen=True)
class ServiceSpec:
    action: Action
    name: str = DEFAULT_SERVICE_NAME
    config_path: Path | None = None  # install only: absolute, and it loads
    startup: Startup = "auto"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    wait_seconds: int = DEFAULT_WAIT_SECONDS


def plan_service(
    action: Action,
    config_path: Path | None,
    name: str = DEFAULT_SERVICE_NAME,
    startup: Startup = "auto",
    username: str | None = None,
    password: str | None = None,
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
) -> ServiceSpec:
    """The checked spec; raises ServiceSpecError, or ConfigError for a config that won't load."""
    if not SERVICE_NAME.fullmatch(name):
        raise ServiceSpecError(
            f"service name {name!r}: use 1 to 80 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if wait_seconds < 1:
        raise ServiceSpecError(f"--wait must be at least 1 second, got {wait_seconds}")
    if action != "install":
        if username is not None or password is not None:
            raise ServiceSpecError("--username and --password are for `bunny service install`")
        return ServiceSpec(action, name, wait_seconds=wait_seconds)
    _check_account(username, password)
    if config_path is None:
        raise ServiceSpecError(
            "`bunny service install` needs a config file (--config FILE or $BUNNY_CONFIG): "
            "a service does not start in the folder you are in now"
        )
    # The service starts elsewhere (in the virtual environment's folder): the path it keeps
    # must not depend on the current folder.
    absolute = config_path.resolve()
    load_config(absolute)
    return ServiceSpec(action, name, absolute, startup, username, password, wait_seconds)


def _check_account(username: str | None, password: str | None) -> None:
    if password is not None and username is None:
        raise ServiceSpecError("--password needs --username")
    if username is None or password is not None:
        return
    # Built-in service accounts and managed service accounts (DOMAIN\name$) have no password.
    if username.upper().startswith("NT AUTHORITY\\") or username.endswith("$"):
        return
    raise ServiceSpecError(
        f"--username {username} needs --password (or install without an account and set it "
        "later in services.msc, Log On tab)"
    )
