"""Stand-ins for the pywin32 modules the Windows service uses, which exist only on Windows.

Like a remote API, the service control manager and the event log lie outside this machine:
these modules keep what they are told (statuses, event log lines, registry options, installed
services) and behave as pywin32 does where the service depends on it. `ServiceFramework`
follows pywin32's win32serviceutil.py (status reporting, SvcRun), and `run_service` does what
pythonservice.exe's service_main does: one instance, SvcRun, and a stop with an error when
SvcRun raises.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# The real values, from the Windows SDK.
SERVICE_STOPPED, SERVICE_START_PENDING, SERVICE_STOP_PENDING, SERVICE_RUNNING = 1, 2, 3, 4
SERVICE_AUTO_START, SERVICE_DEMAND_START = 2, 3
SERVICE_CONTROL_STOP, SERVICE_CONTROL_SHUTDOWN = 1, 5
ERROR_ACCESS_DENIED = 5
ERROR_SERVICE_SPECIFIC_ERROR = 1066
ERROR_SERVICE_NOT_ACTIVE = 1062
ERROR_SERVICE_EXISTS = 1073
PYS_SERVICE_STARTED, PYS_SERVICE_STOPPED = 0x40000004, 0x40000006


class Win32Error(Exception):
    """pywintypes.error: (winerror, funcname, strerror)."""

    def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


@dataclass
class Installed:
    class_string: str
    display_name: str
    options: dict[str, Any]
    state: int = SERVICE_STOPPED


@dataclass
class FakeWindows:
    """What the service control manager, the registry and the event log were told."""

    statuses: list[tuple[int, int, int]] = field(default_factory=list)  # state, hint, error
    events: list[tuple[str, str]] = field(default_factory=list)  # kind, text
    event_source: str | None = None
    registered_sources: list[str] = field(default_factory=list)
    options: dict[tuple[str, str], str] = field(default_factory=dict)
    services: dict[str, Installed] = field(default_factory=dict)
    handlers: dict[str, Callable[[int, int, Any], Any]] = field(default_factory=dict)
    # What the next StartService leaves the service in (a failing start ends STOPPED).
    state_after_start: int = SERVICE_RUNNING
    fail_with: Win32Error | None = None

    def modules(self) -> dict[str, types.ModuleType]:
        return {
            "pywintypes": _module("pywintypes", error=Win32Error),
            "winerror": _module(
                "winerror",
                ERROR_ACCESS_DENIED=ERROR_ACCESS_DENIED,
                ERROR_SERVICE_EXISTS=ERROR_SERVICE_EXISTS,
                ERROR_SERVICE_NOT_ACTIVE=ERROR_SERVICE_NOT_ACTIVE,
            ),
            "win32service": _module(
                "win32service",
                error=Win32Error,
                SERVICE_STOPPED=SERVICE_STOPPED,
                SERVICE_START_PENDING=SERVICE_START_PENDING,
                SERVICE_STOP_PENDING=SERVICE_STOP_PENDING,
                SERVICE_RUNNING=SERVICE_RUNNING,
                SERVICE_AUTO_START=SERVICE_AUTO_START,
                SERVICE_DEMAND_START=SERVICE_DEMAND_START,
                SetServiceStatus=self._set_status,
            ),
            "servicemanager": _module(
                "servicemanager",
                EVENTLOG_INFORMATION_TYPE=4,
                EVENTLOG_ERROR_TYPE=1,
                PYS_SERVICE_STARTED=PYS_SERVICE_STARTED,
                PYS_SERVICE_STOPPED=PYS_SERVICE_STOPPED,
                LogMsg=self._log_message,
                LogInfoMsg=lambda text: self.events.append(("info", text)),
                LogErrorMsg=lambda text: self.events.append(("error", text)),
                SetEventSourceName=self._set_event_source,
                RegisterServiceCtrlHandler=self._register_handler,
            ),
            "win32serviceutil": self._win32serviceutil(),
        }

    def run_service(self, service_class: Any, name: str) -> Exception | None:
        """pythonservice.exe's service_main: what SvcRun raised, if anything."""
        instance = service_class([name])
        try:
            instance.SvcRun()
        except Exception as exc:
            self.statuses.append((SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR))
            return exc
        self.statuses.append((SERVICE_STOPPED, 0, 0))
        return None

    def control(self, name: str, code: int) -> Any:
        """The service control manager sending a control (stop, shutdown) to the service."""
        return self.handlers[name](code, 0, None)

    def messages(self, kind: str) -> list[str]:
        return [text for event_kind, text in self.events if event_kind == kind]

    def _set_status(self, handle: str, status: tuple[int, ...]) -> None:
        _type, state, _accepted, error, _specific, _checkpoint, hint = status
        self.statuses.append((state, hint, error))

    def _log_message(self, kind: int, message: int, inserts: Sequence[str]) -> None:
        names = {PYS_SERVICE_STARTED: "started", PYS_SERVICE_STOPPED: "stopped"}
        self.events.append((names.get(message, str(message)), inserts[0]))

    def _set_event_source(self, name: str, register_now: bool = False) -> None:
        self.event_source = name
        if register_now:
            self.registered_sources.append(name)

    def _register_handler(self, name: str, handler: Callable[..., Any], _ex: bool) -> str:
        self.handlers[name] = handler
        return f"handle:{name}"

    def _win32serviceutil(self) -> types.ModuleType:
        return _module(
            "win32serviceutil",
            ServiceFramework=_service_framework(self),
            GetServiceCustomOption=lambda name, option, default=None: self.options.get(
                (name, option), default
            ),
            SetServiceCustomOption=lambda name, option, value: self.options.__setitem__(
                (name, option), value
            ),
            InstallService=self._install,
            ChangeServiceConfig=self._change,
            RemoveService=self._remove,
            StartService=self._start,
            StopService=self._stop,
            QueryServiceStatus=lambda name: (0x10, self._existing(name).state, 0, 0, 0, 0, 0),
        )

    def _install(self, class_string: str, name: str, display: str, **options: Any) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if name in self.services:
            raise Win32Error(ERROR_SERVICE_EXISTS, "CreateService", "The service already exists.")
        self.services[name] = Installed(class_string, display, options)

    def _change(self, class_string: str, name: str, displayName: str, **options: Any) -> None:  # noqa: N803
        self.services[name] = Installed(
            class_string, displayName, options, self._existing(name).state
        )

    def _remove(self, name: str) -> None:
        self._existing(name)
        del self.services[name]

    def _start(self, name: str, args: Sequence[str] | None = None) -> None:
        self._existing(name).state = self.state_after_start

    def _stop(self, name: str) -> None:
        service = self._existing(name)
        if service.state != SERVICE_RUNNING:
            raise Win32Error(ERROR_SERVICE_NOT_ACTIVE, "ControlService", "not started")
        service.state = SERVICE_STOPPED

    def _existing(self, name: str) -> Installed:
        if name not in self.services:
            raise Win32Error(1060, "OpenService", "The specified service does not exist.")
        return self.services[name]


def _module(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in members.items():
        setattr(module, key, value)
    return module


def _service_framework(windows: FakeWindows) -> type:
    class ServiceFramework:
        """win32serviceutil.ServiceFramework, the parts a service relies on."""

        _svc_name_: str
        _svc_description_: str | None = None

        def __init__(self, args: Sequence[str]) -> None:
            self.ssh = windows._register_handler(args[0], self.ServiceCtrlHandlerEx, True)
            windows._set_event_source(self._svc_name_)
            self.checkPoint = 0

        def ReportServiceStatus(  # noqa: N802
            self,
            serviceStatus: int,  # noqa: N803
            waitHint: int = 5000,  # noqa: N803
            win32ExitCode: int = 0,  # noqa: N803
        ) -> None:
            self.checkPoint += 1
            windows._set_status(
                self.ssh, (0x10, serviceStatus, 0, win32ExitCode, 0, self.checkPoint, waitHint)
            )

        def ServiceCtrlHandlerEx(self, control: int, _event: int, _data: Any) -> Any:  # noqa: N802
            if control == SERVICE_CONTROL_STOP:
                return self.SvcStop()
            if control == SERVICE_CONTROL_SHUTDOWN:
                return self.SvcShutdown()
            return None

        def SvcRun(self) -> None:  # noqa: N802
            self.ReportServiceStatus(SERVICE_RUNNING)
            self.SvcDoRun()
            self.ReportServiceStatus(SERVICE_STOP_PENDING)

        # A service defines these; pywin32 looks them up on the instance.
        def SvcDoRun(self) -> None:  # noqa: N802
            raise NotImplementedError

        def SvcStop(self) -> None:  # noqa: N802
            raise NotImplementedError

        def SvcShutdown(self) -> None:  # noqa: N802
            raise NotImplementedError

    return ServiceFramework
