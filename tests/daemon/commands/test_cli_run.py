"""`bunny run` ended by an error: the log has it with its traceback, and the exit status says so."""

from __future__ import annotations

from collections.abc import Callable

from daemon.commands.cli import EXIT_CRASHED
from tests.conftest import DaemonProcess


def test_an_error_that_ends_the_daemon_is_in_the_log_with_its_traceback(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    daemon.library.mkdir(parents=True)
    (daemon.library / "bunny.db").write_bytes(b"not a database at all " * 200)
    daemon.start()

    assert daemon.wait(timeout=60) == EXIT_CRASHED
    entries = daemon.log_entries()
    (crash,) = [entry for entry in entries if entry["level"] == "error"]
    assert crash["event"] == "daemon stopped by an unexpected error"
    assert "Traceback (most recent call last)" in crash["exception"]
    assert "file is not a database" in crash["exception"]
    assert not [e for e in entries if e["event"] == "daemon stopped"], "not a normal stop"
