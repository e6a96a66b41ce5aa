"""daemon/service/windows_spec.py, daemon/commands/service.py: `bunny service` checked anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.commands.cli import main
from daemon.config import ConfigError
from daemon.service.windows_spec import ServiceSpecError, plan_service
from tests.hosted import write_config


def test_install_keeps_an_absolute_config_path_that_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    spec = plan_service(
        "install", Path("config.yaml"), "bunny-2", "delayed", r"HOME\bunny", "pa55word"
    )
    assert spec.config_path == tmp_path / "config.yaml"
    assert spec.config_path.is_absolute()
    assert (spec.name, spec.startup, spec.username) == ("bunny-2", "delayed", r"HOME\bunny")
    assert spec.password == "pa55word"
    assert "pa55word" not in repr(spec)


def test_install_with_a_broken_config_fails_with_its_message(tmp_path: Path) -> None:
    config = write_config(tmp_path, pipeline={"wrkers": 2})
    with pytest.raises(ConfigError) as raised:
        plan_service("install", config)
    assert str(config) in str(raised.value)
    assert "pipeline.wrkers" in str(raised.value)


def test_install_needs_a_config_file() -> None:
    with pytest.raises(ServiceSpecError, match="needs a config file"):
        plan_service("install", None)


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        (r"HOME\bunny", None, "needs --password"),
        (None, "pa55word", "--password needs --username"),
    ],
)
def test_an_account_comes_with_its_password(
    tmp_path: Path, username: str | None, password: str | None, problem: str
) -> None:
    with pytest.raises(ServiceSpecError, match=problem):
        plan_service("install", write_config(tmp_path), username=username, password=password)


@pytest.mark.parametrize("account", [r"NT AUTHORITY\NetworkService", r"HOME\bunny-gmsa$"])
def test_accounts_that_have_no_password(tmp_path: Path, account: str) -> None:
    spec = plan_service("install", write_config(tmp_path), username=account)
    assert spec.username == account
    assert spec.password is None


@pytest.mark.parametrize("name", ["", "two words", "back\\slash", "for/ward", "-dash", "x" * 81])
def test_a_service_name_windows_would_refuse_is_refused(name: str) -> None:
    with pytest.raises(ServiceSpecError, match="service name"):
        plan_service("stop", None, name)


def test_other_actions_need_no_config_and_take_no_account() -> None:
    assert plan_service("remove", None, "bunny-2.test_x").name == "bunny-2.test_x"
    with pytest.raises(ServiceSpecError, match="for `bunny service install`"):
        plan_service("start", None, username="someone", password="secret")


def test_off_windows_the_command_says_where_the_systemd_unit_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["service", "install", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "Windows only" in err
    assert "systemd/README.md" in err


def test_a_broken_config_is_a_config_error_before_anything_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, pipeline={"wrkers": 2})
    assert main(["service", "install", "--config", str(config)]) == 2
    assert "config error" in capsys.readouterr().err
