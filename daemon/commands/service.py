"""`bunny service install|remove|start|stop`: checked here, done on Windows.

On Windows the arguments become a `ServiceSpec` (daemon/service/windows_spec.py), and only
then does `windows_service.control` act on it. Elsewhere the command says where the systemd
unit is. This is the one module of the daemon that calls into `windows_service/`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast, get_args

from daemon.service.windows_spec import (
    DEFAULT_SERVICE_NAME,
    DEFAULT_WAIT_SECONDS,
    Action,
    ServiceSpecError,
    Startup,
    plan_service,
)

EXIT_USAGE = 2
NOT_WINDOWS = (
    "bunny: `bunny service` installs and controls the Windows service, on Windows only. "
    "On Linux, run the daemon as a systemd unit: see systemd/README.md."
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
