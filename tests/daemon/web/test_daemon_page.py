"""A real daemon process (`bunny run`) serves the page, says where, and stops it; with
`web.enabled: false` it serves nothing; beyond loopback without a password it does not start."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import DaemonProcess, wait_for

ADDRESS = re.compile(r"^review page at (http://127\.0\.0\.1:\d+/)$")
STARTED_SECONDS = 120


def bunny(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "daemon.commands.cli", *args, "--config", str(daemon.config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=daemon.root)


def logged(daemon: DaemonProcess, pattern: str) -> list[dict[str, Any]]:
    return [e for e in daemon.log_entries() if re.search(pattern, str(e.get("event", "")))]


def served_address(daemon: DaemonProcess) -> str:
    def address() -> str | None:
        for entry in logged(daemon, "^review page at "):
            found = ADDRESS.match(entry["event"])
            assert found is not None, entry
            return found.group(1)
        assert daemon.alive(), (daemon.root / "stderr.log").read_text()
        return None

    return str(wait_for(address, timeout=STARTED_SECONDS))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_daemon_serves_the_page_at_the_address_it_logs(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    daemon.start()
    url = served_address(daemon)
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200
    assert "Overview" in page.text
    wait_for(lambda: '<p class="big">running</p>' in httpx.get(url, timeout=30).text, 60)
    report = json.loads(bunny(daemon, "status", "--json").stdout)
    assert report["web_url"] == url
    assert f"review page at {url}" in bunny(daemon, "status").stdout
    assert f"served by the running daemon at {url}" in bunny(daemon, "doctor").stdout
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(60) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)
    assert json.loads(bunny(daemon, "status", "--json").stdout)["web_url"] is None


def test_web_enabled_false_serves_nothing(daemon_factory: Callable[..., DaemonProcess]) -> None:
    port = free_port()
    daemon = daemon_factory(web={"enabled": False, "port": port})
    daemon.start()
    wait_for(lambda: logged(daemon, "^review page off"), timeout=STARTED_SECONDS)
    assert logged(daemon, "^review page at ") == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    assert daemon.alive()
    assert json.loads(bunny(daemon, "status", "--json").stdout)["web_url"] is None


def test_a_port_in_use_is_a_warning_and_the_daemon_goes_on(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        daemon = daemon_factory(web={"port": port})
        daemon.start()
        warnings = wait_for(lambda: logged(daemon, "^review page not served"), STARTED_SECONDS)
        assert warnings[0]["level"] == "warning"
        assert warnings[0]["address"] == f"http://127.0.0.1:{port}/"
        wait_for(lambda: json.loads(bunny(daemon, "status", "--json").stdout)["daemon_running"])
        assert daemon.alive()


def test_the_daemon_refuses_to_listen_beyond_loopback_without_a_password(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(web={"host": "0.0.0.0"})
    daemon.start(env={"BUNNY_WEB_PASSWORD": ""})
    assert daemon.wait(60) == 2
    stderr = (daemon.root / "stderr.log").read_text()
    assert "config error" in stderr
    assert "'web.host' is 0.0.0.0" in stderr
    assert logged(daemon, "^refusing to start")
