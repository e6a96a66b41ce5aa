"""daemon/web_access.py and the `web.*` settings: loopback, passwords, messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config
from daemon.web_access import is_loopback, page_url, web_access


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_loopback_on_a_fixed_port() -> None:
    access = web_access(load_config(None), environ={})
    assert (access.host, access.port, access.password) == ("127.0.0.1", 8737, None)
    assert page_url(access.host, access.port) == "http://127.0.0.1:8737/"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.com", "bunny.local"])
def test_addresses_other_machines_reach(host: str) -> None:
    assert not is_loopback(host)


def test_beyond_loopback_without_a_password_is_a_config_error_naming_the_file(
    tmp_path: Path,
) -> None:
    path = config_file(tmp_path, "web:\n  host: 0.0.0.0\n")
    with pytest.raises(ConfigError) as caught:
        web_access(load_config(path), environ={})
    message = str(caught.value)
    assert str(path) in message
    assert "'web.host' is 0.0.0.0" in message
    assert "BUNNY_WEB_PASSWORD" in message


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, "web:\n  host: 0.0.0.0\n  password: from-file\n")
    config = load_config(path)
    assert web_access(config, environ={}).password == "from-file"
    assert web_access(config, environ={"BUNNY_WEB_PASSWORD": "from-env"}).password == "from-env"
    renamed = config_file(tmp_path, "web:\n  host: 0.0.0.0\n  password_env: MY_PAGE\n")
    assert web_access(load_config(renamed), environ={"MY_PAGE": "x"}).password == "x"


def test_the_password_is_not_in_the_repr(tmp_path: Path) -> None:
    path = config_file(tmp_path, "web:\n  password: hunter2\n")
    access = web_access(load_config(path), environ={})
    assert "hunter2" not in repr(access)


def test_command_line_host_and_port_override(tmp_path: Path) -> None:
    access = web_access(load_config(None), environ={}, host="localhost", port=0)
    assert (access.host, access.port) == ("localhost", 0)
    with pytest.raises(ConfigError):
        web_access(load_config(None), environ={}, host="0.0.0.0")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("web:\n  port: 70000\n", "'web.port' must be from 0 to 65535"),
        ("web:\n  port: http\n", "'web.port' must be an integer"),
        ("web:\n  enabled: maybe\n", "'web.enabled' must be true or false"),
        ("web:\n  host: ''\n", "'web.host' must be an address"),
        ("web:\n  password: ''\n", "'web.password' must be null or a non-empty string"),
        ("web:\n  password_env: ' '\n", "'web.password_env' must name an environment variable"),
        ("web:\n  pasword: x\n", "did you mean 'web.password'?"),
    ],
)
def test_bad_web_settings_name_the_key_and_the_file(tmp_path: Path, text: str, wanted: str) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert wanted in str(caught.value)
