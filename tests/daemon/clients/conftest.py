"""Fixtures for the provider clients: a scripted local server and the daemon's real log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.config import LogConfig
from daemon.log import configure_logging
from tests.daemon.clients.scripted_server import Reply, ScriptedServer
from tests.logging_state import restored_logging


@pytest.fixture
def serve() -> Iterator[Callable[[Reply], ScriptedServer]]:
    started: list[ScriptedServer] = []

    def start(default: Reply) -> ScriptedServer:
        server = ScriptedServer(default)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def daemon_log(tmp_path: Path) -> Iterator[Path]:
    """The daemon's real logging at debug level into a file, with no secrets handed to the
    redactor: a secret found in the file was written by the code under test."""
    path = tmp_path / "bunny.log"
    with restored_logging("botocore", "urllib3"):
        configure_logging(LogConfig(level="debug", console="off"), path, secrets=())
        yield path
