"""`bunny service install|remove|start|stop` on Windows, through pywin32's win32serviceutil.

`daemon.service.windows_spec` has checked the spec; this only talks to the service control
manager. Installing and removing need an elevated prompt (Run as administrator).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pywintypes
import servicemanager
import win32service
import win32serviceutil
import winerror

from daemon.service.host import STARTUP_GRACE_SECONDS
from daemon.service.windows_spec import CONFIG_OPTION, DEFAULT_SERVICE_NAME, ServiceSpec
from windows_service.bunny_service import DESCRIPTION, DISPLAY_NAME

POLL_SECONDS = 0.5
# A service says it runs at once, then checks its start (ServiceHost's grace): watch that long.
START_WATCH_SECONDS = STARTUP_GRACE_SECONDS + 2


def carry_out(spec: ServiceSpec) -> int:
    actions: dict[str, Callable[[ServiceSpec], int]] = {
        "install": install,
        "remove": remove,
        "start": start,
        "stop": stop,
    }
    try:
        return actions[spec.action](spec)
    except pywintypes.error as exc:
        hint = ""
        if exc.winerror == winerror.ERROR_ACCESS_DENIED:
            hint = "; run it from an elevated prompt (Run as administrator)"
        print(f"bunny: service {spec.action} failed: {exc.strerror}{hint}", file=sys.stderr)
        return 1


def class_string() -> str:
    """What pythonservice.exe loads: it puts the folder before the last backslash first on
    sys.path, so the service runs the code of the installation that installed it."""
    root = Path(__file__).resolve().parent.parent
    return f"{root}\\windows_service.bunny_service.BunnyService"


def install(spec: ServiceSpec) -> int:
    display = DISPLAY_NAME if spec.name == DEFAULT_SERVICE_NAME else f"{DISPLAY_NAME} ({spec.name})"
    options = {
        "startType": (
            win32service.SERVICE_DEMAND_START
            if spec.startup == "manual"
            else win32service.SERVICE_AUTO_START
        ),
        "userName": spec.username,
        "password": spec.password,
        "description": DESCRIPTION,
        "delayedstart": None if spec.startup == "manual" else spec.startup == "delayed",
    }
    try:
        win32serviceutil.InstallService(class_string(), spec.name, display, **options)
        done = "installed"
    except pywintypes.error as exc:
        if exc.winerror != winerror.ERROR_SERVICE_EXISTS:
            raise
        win32serviceutil.ChangeServiceConfig(
            class_string(), spec.name, displayName=display, **options
        )
        done = "updated"
    win32serviceutil.SetServiceCustomOption(spec.name, CONFIG_OPTION, str(spec.config_path))
    # Registered now, while elevated: the service's own account may not create it later.
    servicemanager.SetEventSourceName(spec.name, True)
    print(
        f"service {spec.name} {done}: config {spec.config_path}, startup {spec.startup}, "
        f"account {spec.username or 'LocalSystem'}\n"
        f"start it with: bunny service start{_name_flag(spec)}"
    )
    return 0


def remove(spec: ServiceSpec) -> int:
    if _request_stop(spec.name):
        _wait_for(spec.name, win32service.SERVICE_STOPPED, spec.wait_seconds)
    win32serviceutil.RemoveService(spec.name)
    print(f"service {spec.name} removed")
    return 0


def start(spec: ServiceSpec) -> int:
    win32serviceutil.StartService(spec.name)
    state = _wait_for(spec.name, win32service.SERVICE_RUNNING, spec.wait_seconds)
    if state == win32service.SERVICE_RUNNING:
        state = _wait_for(spec.name, win32service.SERVICE_STOPPED, START_WATCH_SECONDS)
    if state != win32service.SERVICE_RUNNING:
        print(
            f"bunny: service {spec.name} did not start; the reason is in Event Viewer > "
            f"Windows Logs > Application, source {spec.name}",
            file=sys.stderr,
        )
        return 1
    config = win32serviceutil.GetServiceCustomOption(spec.name, CONFIG_OPTION)
    print(f"service {spec.name} running; follow it with: bunny logs -f --config {config}")
    return 0


def stop(spec: ServiceSpec) -> int:
    if not _request_stop(spec.name):
        print(f"service {spec.name} is not running")
        return 0
    if _wait_for(spec.name, win32service.SERVICE_STOPPED, spec.wait_seconds) != (
        win32service.SERVICE_STOPPED
    ):
        print(
            f"bunny: service {spec.name} still stopping after {spec.wait_seconds} s",
            file=sys.stderr,
        )
        return 1
    print(f"service {spec.name} stopped")
    return 0


def _request_stop(name: str) -> bool:
    """False when it was not running."""
    try:
        win32serviceutil.StopService(name)
    except pywintypes.error as exc:
        if exc.winerror != winerror.ERROR_SERVICE_NOT_ACTIVE:
            raise
        return False
    return True


def _wait_for(name: str, wanted: int, seconds: float) -> int:
    """The service's state once it is `wanted` or has ended, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        state = int(win32serviceutil.QueryServiceStatus(name)[1])
        if state in (wanted, win32service.SERVICE_STOPPED) or time.monotonic() >= deadline:
            return state
        time.sleep(POLL_SECONDS)


def _name_flag(spec: ServiceSpec) -> str:
    return "" if spec.name == DEFAULT_SERVICE_NAME else f" --name {spec.name}"
