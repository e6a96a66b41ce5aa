"""A daemon hosted in the test process, as the Windows service hosts it: its config file, what
it wrote (log lines, movie states), and an event log that keeps what it is told."""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The loggers daemon.log quietens; tests that configure its logging put them back after.
NOISY_LOGGERS = ("apscheduler", "watchdog", "botocore", "urllib3", "PIL", "peewee", "tzlocal")
# The frame stages only: a hosted daemon in the test process needs no face or caption models.
FRAME_STAGES = ["probe", "shots", "frames", "quality"]


@dataclass
class EventLog:
    """The reporter the service gives its host: here it only keeps the messages."""

    infos: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def info(self, text: str) -> None:
        self.infos.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)


def write_config(root: Path, **settings: Any) -> Path:
    """config.yaml in `root` with inbox/ and library/ beside it; `settings` update sections."""
    document: dict[str, Any] = {
        "inbox": "inbox",
        "library": "library",
        "watcher": {"quiet_seconds": 0.5, "poll_seconds": 0.1},
        "pipeline": {
            "retry_backoff_seconds": [1, 1],
            "stop_timeout_seconds": 3,
            "stages": FRAME_STAGES,
        },
        "log": {"level": "debug"},
    }
    for section, values in settings.items():
        if isinstance(values, dict) and isinstance(document.get(section), dict):
            document[section].update(values)
        else:
            document[section] = values
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def log_events(library: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    path = library / "logs" / "bunny.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def logged(library: Path, event: str) -> bool:
    return any(entry["event"] == event for entry in log_events(library))


def movie_states(library: Path) -> dict[str, str]:
    """Each movie's state, read with plain sqlite: the daemon in this process owns peewee's
    database binding, which a second Repository would take over."""
    database = library / "bunny.db"
    if not database.exists():
        return {}
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            rows = connection.execute("SELECT name, state FROM movie").fetchall()
        except sqlite3.OperationalError:  # created, its tables not yet
            return {}
    return {str(name): str(state) for name, state in rows}
