"""Fixtures for the provider clients: a scripted local server and the daemon's real log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from daemon.config import LogConfig
from daemon.log import configure_logging
from tests.daemon.clients.scripted_server import Reply, ScriptedServer


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
    root = logging.getLogger()
    level, saved = root.level, list(root.handlers)
    quiet = {name: logging.getLogger(name).level for name in ("botocore", "urllib3")}
    path = tmp_path / "bunny.log"
    configure_logging(LogConfig(level="debug", console="off"), path, secrets=())
    yield path
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in saved:
            handler.close()
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    structlog.reset_defaults()
