"""sd_notify through a real datagram socket, as systemd listens for a Type=notify unit: the
notifier alone, then the real daemon process started the way systemd starts it."""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.service.systemd_notify import SystemdNotifier
from tests.conftest import DaemonProcess, wait_for


class NotifySocket:
    """What systemd binds for a unit: a datagram socket whose messages are kept in order."""

    def __init__(self, abstract: bool = False) -> None:
        # AF_UNIX paths are limited to ~100 bytes: pytest's tmp_path can be longer.
        self._folder = Path(tempfile.mkdtemp(prefix="bunny-", dir="/tmp"))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"bunny-test-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = str(self._folder / "notify")
            self.sock.bind(self.address)
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return self.messages

    def lines(self) -> list[str]:
        return [line for message in self.drain() for line in message.splitlines()]

    def close(self) -> None:
        self.sock.close()
        if not self.address.startswith("@"):
            Path(self.address).unlink()
        self._folder.rmdir()


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    listener = NotifySocket()
    yield listener
    listener.close()


def test_messages_reach_the_socket(notify_socket: NotifySocket) -> None:
    environ = {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "300000"}
    notifier = SystemdNotifier(environ)
    assert notifier.active and notifier.watchdog_seconds == 0.3
    notifier.ready("idle")
    notifier.status("idle")  # unchanged: not sent again
    notifier.status("2 movie(s) to process")
    notifier.watchdog()
    notifier.watchdog()  # within a third of the interval: not sent again
    time.sleep(0.11)
    notifier.watchdog()
    notifier.stopping()
    assert notify_socket.drain() == [
        f"READY=1\nSTATUS=idle\nMAINPID={os.getpid()}",
        "STATUS=2 movie(s) to process",
        "WATCHDOG=1",
        "WATCHDOG=1",
        "STOPPING=1\nSTATUS=stopping",
    ]


def test_an_abstract_socket_name_is_understood() -> None:
    listener = NotifySocket(abstract=True)
    try:
        SystemdNotifier({"NOTIFY_SOCKET": listener.address}).ready("idle")
        assert listener.lines()[0] == "READY=1"
    finally:
        listener.close()


def test_outside_systemd_nothing_is_sent_and_nothing_fails(notify_socket: NotifySocket) -> None:
    quiet = SystemdNotifier({})
    assert not quiet.active and quiet.watchdog_seconds is None
    quiet.ready("idle")
    quiet.watchdog()
    quiet.stopping()
    other = {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}
    assert SystemdNotifier(other).watchdog_seconds is None, "the watchdog is another process's"
    gone = SystemdNotifier({"NOTIFY_SOCKET": "/nonexistent/notify"})
    gone.ready("idle")  # logged once, then quiet
    assert not gone.active
    assert notify_socket.drain() == []


def test_the_daemon_tells_systemd_it_is_ready_alive_and_stopping(
    daemon_factory: Callable[..., DaemonProcess],
    notify_socket: NotifySocket,
    make_clip: Callable[..., Path],
) -> None:
    daemon = daemon_factory()
    movie = daemon.inbox / "movies" / "a.mp4"
    movie.write_bytes(make_clip("notify.mp4", seconds=2.0).read_bytes())
    environ = {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "900000"}
    daemon.start(env=environ)

    lines = wait_for(lambda: "READY=1" in (got := notify_socket.lines()) and got, timeout=60)
    started = [e["event"] for e in daemon.log_entries()]
    assert "inbox scanned" in started, "READY=1 comes once the inbox is scanned"
    assert f"MAINPID={daemon.process.pid}" in lines  # type: ignore[union-attr]
    # The main loop pings every 0.3 s (a third of WatchdogSec).
    wait_for(lambda: notify_socket.lines().count("WATCHDOG=1") >= 5, timeout=20)
    statuses = [line for line in notify_socket.lines() if line.startswith("STATUS=")]
    assert statuses[0] in ("STATUS=1 movie(s) to process", "STATUS=idle: waiting for movies")

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0
    assert "STOPPING=1" in notify_socket.lines()
    assert notify_socket.lines()[-1] == "STATUS=stopping"
