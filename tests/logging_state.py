"""Tests that configure the daemon's real logging put the process's logging back after."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog


@contextmanager
def restored_logging(*quiet: str) -> Iterator[None]:
    """Root handlers and level, the levels of the `quiet` loggers, and structlog's defaults
    are as they were when the block ends."""
    root = logging.getLogger()
    level, saved = root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in quiet}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            if handler not in saved:
                handler.close()
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
