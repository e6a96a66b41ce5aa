"""windows_service/bunny_service.py on Linux: the service class, with pywin32's modules stood
in for, hosting the real daemon on a real config file, inbox and library."""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from daemon.service.host import ServiceStartError
from tests.conftest import wait_for
from tests.hosted import logged, write_config
from tests.windows_service.fake_pywin32 import (
    ERROR_SERVICE_SPECIFIC_ERROR,
    SERVICE_CONTROL_SHUTDOWN,
    SERVICE_CONTROL_STOP,
    SERVICE_RUNNING,
    SERVICE_STOP_PENDING,
    SERVICE_STOPPED,
    FakeWindows,
)


def service_class() -> Any:
    return importlib.import_module("windows_service.bunny_service").BunnyService


@pytest.mark.parametrize("control", [SERVICE_CONTROL_STOP, SERVICE_CONTROL_SHUTDOWN])
def test_stop_and_shutdown_report_the_wait_hint_and_stop_the_daemon(
    windows: FakeWindows, tmp_path: Path, control: int
) -> None:
    config = write_config(tmp_path, pipeline={"stop_timeout_seconds": 4})
    windows.options[("diffusion-bunny", "config")] = str(config)
    outcome: list[Exception | None] = []
    main = threading.Thread(
        target=lambda: outcome.append(windows.run_service(service_class(), "diffusion-bunny"))
    )
    main.start()
    wait_for(lambda: windows.messages("info"), timeout=30)  # the host's "started"

    asked = time.monotonic()
    windows.control("diffusion-bunny", control)
    assert time.monotonic() - asked < 9, "the handler returned within the wait hint"
    main.join(30)
    assert not main.is_alive()
    assert outcome == [None]
    # 4 s of stop timeout and 5 s of margin, in milliseconds.
    assert windows.statuses[:2] == [(SERVICE_RUNNING, 5000, 0), (SERVICE_STOP_PENDING, 9000, 0)]
    assert windows.statuses[-1] == (SERVICE_STOPPED, 0, 0)
    assert logged(tmp_path / "library", "daemon stopped")
    assert windows.messages("started") == ["diffusion-bunny"]
    assert windows.messages("stopped") == ["diffusion-bunny"]
    assert windows.messages("error") == []
    assert str(config) in windows.messages("info")[0]


def test_a_start_failure_goes_to_the_event_log_and_the_service_stops_with_an_error(
    windows: FakeWindows, tmp_path: Path
) -> None:
    # Installed under another name: its options and its event source go by that name.
    config = write_config(tmp_path, pipeline={"wrkers": 2})
    windows.options[("bunny-two", "config")] = str(config)
    raised = windows.run_service(service_class(), "bunny-two")
    assert isinstance(raised, ServiceStartError)
    assert windows.statuses[-1] == (SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR)
    assert windows.event_source == "bunny-two"
    (error,) = windows.messages("error")
    assert error.startswith("bunny-two could not start: config error")
    assert str(config) in error
    assert "pipeline.wrkers" in error
    assert windows.messages("stopped") == []


def test_a_service_with_no_config_option_says_how_to_install_it(
    windows: FakeWindows,
) -> None:
    raised = windows.run_service(service_class(), "diffusion-bunny")
    assert isinstance(raised, ServiceStartError)
    (error,) = windows.messages("error")
    assert "bunny service install --config FILE" in error
