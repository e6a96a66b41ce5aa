"""sd_notify(3) for a `Type=notify` systemd unit, with no library: one datagram per message.

systemd starts the daemon with `NOTIFY_SOCKET` (and, with `WatchdogSec=`, `WATCHDOG_USEC`
and `WATCHDOG_PID`). The daemon says `READY=1` once the inbox is scanned and its workers
run, `STATUS=...` lines that `systemctl status` shows, `WATCHDOG=1` from its main loop (so a
hung loop, not only a dead process, gets the unit restarted) and `STOPPING=1` on stop.
Outside systemd every call does nothing.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

import structlog


class SystemdNotifier:
    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self._address = _socket_address(environ.get("NOTIFY_SOCKET", ""))
        self._watchdog_seconds = _watchdog_seconds(environ)
        self._last_ping = 0.0
        self._last_status: str | None = None
        self._log = structlog.get_logger("daemon")

    @property
    def active(self) -> bool:
        return self._address is not None

    @property
    def watchdog_seconds(self) -> float | None:
        return self._watchdog_seconds

    def ready(self, status: str) -> None:
        self._last_status = status
        self._send(f"READY=1\nSTATUS={status}\nMAINPID={os.getpid()}")

    def status(self, text: str) -> None:
        if text != self._last_status:
            self._last_status = text
            self._send(f"STATUS={text}")

    def stopping(self) -> None:
        self._send("STOPPING=1\nSTATUS=stopping")

    def watchdog(self) -> None:
        """Called every loop turn; pings at a third of the interval systemd waits for."""
        if self._watchdog_seconds is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= self._watchdog_seconds / 3:
            self._last_ping = now
            self._send("WATCHDOG=1")

    def _send(self, message: str) -> None:
        if self._address is None:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode())
        except OSError as exc:
            # A manager that went away must not stop the daemon; it is said once.
            self._log.warning("systemd notification failed", error=str(exc))
            self._address = None


def _socket_address(value: str) -> str | None:
    if not value or not hasattr(socket, "AF_UNIX"):
        return None
    if value.startswith("@"):  # an abstract socket
        return "\0" + value[1:]
    return value if value.startswith("/") else None


def _watchdog_seconds(environ: Mapping[str, str]) -> float | None:
    try:
        usec = int(environ.get("WATCHDOG_USEC", "0"))
        pid = int(environ.get("WATCHDOG_PID", str(os.getpid())))
    except ValueError:
        return None
    if usec <= 0 or pid != os.getpid():
        return None  # meant for another process (a wrapper that started us)
    return usec / 1_000_000
