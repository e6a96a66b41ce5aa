"""The Windows service: pywin32's ServiceFramework around `daemon.service.host.ServiceHost`.

Windows only. pythonservice.exe loads this class (see `control.class_string`), makes one
instance per start and calls SvcRun on one thread and SvcStop/SvcShutdown on another. All that
is decided (loading the config, logging, start failures, stopping in time) is in ServiceHost,
which the tests run on Linux; this class only turns service events into its calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import servicemanager
import win32service
import win32serviceutil

from daemon.service.host import ServiceHost
from daemon.service.windows_spec import CONFIG_OPTION, DEFAULT_SERVICE_NAME
from daemon.web.companion import page_companions

DISPLAY_NAME = "diffusion-bunny"
DESCRIPTION = "Turns movies dropped into an inbox folder into character datasets and LoRA models."
# The service control manager wants a control handler back within 30 s; a longer stop goes
# on after the handler returns, and SvcDoRun ends when it is done.
HANDLER_WAIT_SECONDS = 25.0


class EventLogReporter:
    """The Application event log, under the service's name as its source."""

    def info(self, text: str) -> None:
        servicemanager.LogInfoMsg(text)

    def error(self, text: str) -> None:
        servicemanager.LogErrorMsg(text)


class ServiceExitError(RuntimeError):
    """Raised from SvcDoRun so that pythonservice reports the service stopped with an error."""


class BunnyService(win32serviceutil.ServiceFramework):  # type: ignore[misc]
    _svc_name_ = DEFAULT_SERVICE_NAME
    _svc_display_name_ = DISPLAY_NAME
    _svc_description_ = DESCRIPTION

    def __init__(self, args: Sequence[str]) -> None:
        # The name it was installed under (`--name`): its event source and its options' key.
        self._svc_name_ = args[0]
        super().__init__(args)
        option = win32serviceutil.GetServiceCustomOption(self._svc_name_, CONFIG_OPTION)
        self.host = ServiceHost(
            Path(option) if option else None,
            EventLogReporter(),
            self._svc_name_,
            companions=page_companions,
        )

    def SvcDoRun(self) -> None:  # noqa: N802
        servicemanager.LogMsg(
            servicemanager.EVENTLOG_INFORMATION_TYPE,
            servicemanager.PYS_SERVICE_STARTED,
            (self._svc_name_, ""),
        )
        # A failed start raises ServiceStartError (already in the event log): pythonservice
        # then reports the service stopped with an error.
        self.host.start()
        status = self.host.wait()
        if status != 0:
            raise ServiceExitError(f"{self._svc_name_}: the daemon ended with status {status}")
        servicemanager.LogMsg(
            servicemanager.EVENTLOG_INFORMATION_TYPE,
            servicemanager.PYS_SERVICE_STOPPED,
            (self._svc_name_, ""),
        )

    def SvcStop(self) -> None:  # noqa: N802
        self._stop()

    def SvcShutdown(self) -> None:  # noqa: N802
        self._stop()

    def _stop(self) -> None:
        seconds = self.host.stop_wait_seconds
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING, waitHint=round(seconds * 1000))
        self.host.stop(min(seconds, HANDLER_WAIT_SECONDS))
