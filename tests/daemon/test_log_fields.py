"""daemon/log_fields.py through the daemon's real logging: a line stays bounded, the console
never receives raw control characters."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from daemon.config import LogConfig
from daemon.log import MASK, configure_logging
from tests.logging_state import restored_logging

HOSTILE = "\x1b[31mred\rover\u202eevil\x9b2J"
SECRET = "sk-secret-value-123456"


@pytest.fixture(autouse=True)
def reset_logging() -> Iterator[None]:
    with restored_logging():
        yield


def flushed(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_a_huge_field_is_cut_after_its_secrets_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    configure_logging(LogConfig(console="off"), path, {SECRET})
    huge = "x" * 1990 + SECRET + "y" * 10_000_000
    structlog.get_logger().warning("rejected", reason=huge, names=["n"] * 10_000)
    text = flushed(path)
    assert len(text) < 10_000 and SECRET[:8] not in text
    line = json.loads(text)
    assert line["reason"].startswith("x" * 1990 + MASK)
    assert line["reason"].endswith(f"({len(huge) - len(SECRET) + len(MASK)} characters)")
    assert len(line["names"]) == 51


def test_the_console_shows_control_characters_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.log"
    configure_logging(LogConfig(console="pretty"), path, set())
    structlog.get_logger().info(f"reference added {HOSTILE}", character=HOSTILE)
    logging.getLogger("somelib").warning("file %s", HOSTILE)
    err = capsys.readouterr().err
    assert not [c for c in ("\x1b", "\r", "\u202e", "\x9b") if c in err]
    assert err.count("\\x1b[31mred\\x0dover\\u202eevil\\x9b2J") == 3
    first = json.loads(flushed(path).splitlines()[0])
    assert first["character"] == HOSTILE, "the file keeps the value itself; JSON escapes it"
