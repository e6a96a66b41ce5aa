"""`bunny service install|remove|start|stop`: what to do, checked here, done on Windows.

On Windows the arguments become a `ServiceSpec`, checked by code that runs anywhere (the
config file must load, an account needs its password, the name must be one Windows accepts),
and only then does `windows_service.control` act on it. Elsewhere the command says where the
systemd unit is.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast, get_args

from daemon.config import load_config

DEFAULT_SERVICE_NAME = "diffusion-bunny"
CONFIG_OPTION = "config"  # the service's registry parameter holding the config file's path
EXIT_USAGE = 2
DEFAULT_WAIT_SECONDS = 30

Action = Literal["install", "remove", "start", "stop"]
Startup = Literal["auto", "manual", "delayed"]

# Windows allows more (up to 256 characters, no slashes), but a name also used in `sc`,
# `net start` and registry paths is safest plain.
SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
NOT_WINDOWS = (
    "bunny: `bunny service` installs and controls the Windows service, on Windows only. "
    "On Linux, run the daemon as a systemd unit: see systemd/README.md."
)


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


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=get_args(Action), help="what to do")
    parser.add_argument("--config", metavar="FILE", help="config file the service runs with")
    parser.add_argument("--name", default=DEFAULT_SERVICE_NAME, help="service name")
    parser.add_argument(
        "--startup", choices=get_args(Startup), default="auto", help="install: how it starts"
    )
    parser.add_argument("--username", help=r"install: run as this account (DOMAIN\user)")
    parser.add_argument("--password", help="install: that account's password")
    parser.add_argument(
        "--wait",
        type=int,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help="start/stop: how long to wait for the service",
    )


def run_service_command(args: argparse.Namespace, config_path: Path | None) -> int:
    """`config_path` is the file the command line resolved (--config, $BUNNY_CONFIG, ...)."""
    if sys.platform == "win32":
        return plan_and_run(args, config_path)
    print(NOT_WINDOWS, file=sys.stderr)
    return EXIT_USAGE


def plan_and_run(args: argparse.Namespace, config_path: Path | None) -> int:
    """The Windows side of the command (the tests run it with stand-ins for pywin32)."""
    try:
        spec = plan_service(
            cast(Action, args.action),
            config_path,
            args.name,
            cast(Startup, args.startup),
            args.username,
            args.password,
            args.wait,
        )
    except ServiceSpecError as exc:
        print(f"bunny: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from windows_service.control import carry_out

    return carry_out(spec)
