"""`bunny service install|remove|start|stop` as it runs on Windows: the command line, the
checked spec and windows_service/control.py, against stand-ins for the service control
manager and the registry."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from daemon.commands.cli import build_parser
from daemon.commands.service import plan_and_run
from daemon.config import ConfigError
from tests.conftest import ROOT
from tests.hosted import write_config
from tests.windows_service.fake_pywin32 import (
    ERROR_ACCESS_DENIED,
    SERVICE_AUTO_START,
    SERVICE_DEMAND_START,
    SERVICE_RUNNING,
    SERVICE_STOPPED,
    FakeWindows,
    Win32Error,
)


@pytest.fixture(autouse=True)
def quick_start_watch(windows: FakeWindows, monkeypatch: pytest.MonkeyPatch) -> None:
    # `start` watches a started service for its grace period; the stand-in decides at once.
    control = importlib.import_module("windows_service.control")
    monkeypatch.setattr(control, "START_WATCH_SECONDS", 0.2)


def bunny_service(*argv: str) -> int:
    """`bunny service ...` on Windows, given the config file the command line resolved."""
    args = build_parser().parse_args(["service", *argv])
    return plan_and_run(args, Path(args.config) if args.config else None)


def test_install_keeps_the_absolute_config_path_the_account_and_the_startup(
    windows: FakeWindows,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = bunny_service(
        "install",
        "--config",
        "config.yaml",
        "--startup",
        "delayed",
        "--username",
        r"HOME\bunny",
        "--password",
        "pa55word",
    )
    assert code == 0, capsys.readouterr().err
    service = windows.services["diffusion-bunny"]
    assert service.class_string == f"{ROOT}\\windows_service.bunny_service.BunnyService"
    assert service.display_name == "diffusion-bunny"
    assert service.options["startType"] == SERVICE_AUTO_START
    assert service.options["delayedstart"] is True
    assert service.options["userName"] == r"HOME\bunny"
    assert service.options["password"] == "pa55word"
    assert "LoRA" in service.options["description"]
    assert windows.options[("diffusion-bunny", "config")] == str(tmp_path / "config.yaml")
    assert windows.registered_sources == ["diffusion-bunny"]
    assert "installed" in capsys.readouterr().out


def test_install_under_another_name_then_again_updates_it(
    windows: FakeWindows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path))
    args = ("install", "--config", config, "--name", "bunny-two", "--startup", "manual")
    assert bunny_service(*args) == 0
    service = windows.services["bunny-two"]
    assert service.display_name == "diffusion-bunny (bunny-two)"
    assert service.options["startType"] == SERVICE_DEMAND_START
    assert service.options["delayedstart"] is None
    assert windows.options[("bunny-two", "config")] == config
    assert "bunny service start --name bunny-two" in capsys.readouterr().out

    assert bunny_service("install", "--config", config, "--name", "bunny-two") == 0
    assert "updated" in capsys.readouterr().out
    assert windows.services["bunny-two"].options["startType"] == SERVICE_AUTO_START
    assert list(windows.services) == ["bunny-two"]


def test_an_install_with_a_broken_config_installs_nothing(
    windows: FakeWindows, tmp_path: Path
) -> None:
    config = write_config(tmp_path, pipeline={"wrkers": 2})
    with pytest.raises(ConfigError, match=r"pipeline\.wrkers"):
        bunny_service("install", "--config", str(config))
    assert windows.services == {}
    assert windows.options == {}


def test_an_account_without_its_password_installs_nothing(
    windows: FakeWindows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path))
    assert bunny_service("install", "--config", config, "--username", r"HOME\bunny") == 2
    assert "needs --password" in capsys.readouterr().err
    assert windows.services == {}


def test_start_stop_and_remove(
    windows: FakeWindows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path))
    assert bunny_service("install", "--config", config) == 0
    assert bunny_service("start") == 0
    assert windows.services["diffusion-bunny"].state == SERVICE_RUNNING
    assert f"bunny logs -f --config {config}" in capsys.readouterr().out
    assert bunny_service("stop") == 0
    assert windows.services["diffusion-bunny"].state == SERVICE_STOPPED
    assert "stopped" in capsys.readouterr().out
    assert bunny_service("stop") == 0
    assert "not running" in capsys.readouterr().out
    assert bunny_service("remove") == 0
    assert windows.services == {}


def test_a_service_that_stops_as_it_starts_points_to_the_event_log(
    windows: FakeWindows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bunny_service("install", "--config", str(write_config(tmp_path))) == 0
    windows.state_after_start = SERVICE_STOPPED
    assert bunny_service("start") == 1
    err = capsys.readouterr().err
    assert "did not start" in err
    assert "Event Viewer > Windows Logs > Application, source diffusion-bunny" in err


def test_a_refusal_says_to_use_an_elevated_prompt(
    windows: FakeWindows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    windows.fail_with = Win32Error(ERROR_ACCESS_DENIED, "OpenSCManager", "Access is denied.")
    assert bunny_service("install", "--config", str(write_config(tmp_path))) == 1
    err = capsys.readouterr().err
    assert "Access is denied." in err
    assert "Run as administrator" in err
