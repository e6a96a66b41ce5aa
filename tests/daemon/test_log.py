"""daemon/log.py: JSON lines with movie/stage/job, secrets masked everywhere, rotation."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from daemon.config import LogConfig
from daemon.log import MASK, configure_logging, get_logger, secrets_from_environment
from tests.logging_state import restored_logging

GIVEN_SECRET = "hunter2-supersecret"
ENV_SECRET = "sk-verysecret123"


@pytest.fixture(autouse=True)
def reset_logging() -> Iterator[None]:
    with restored_logging():
        yield


def read_lines(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def configure(tmp_path: Path, **settings: Any) -> Path:
    path = tmp_path / "x.log"
    secrets = {GIVEN_SECRET} | secrets_from_environment({"MY_API_KEY": ENV_SECRET})
    configure_logging(LogConfig(console="off", **settings), path, secrets)
    return path


def test_lines_are_json_with_movie_stage_and_job(tmp_path: Path) -> None:
    path = configure(tmp_path)
    structlog.contextvars.bind_contextvars(movie="abc123", stage="probe", job="job-7")
    structlog.get_logger().info("stage started", frames=12)
    structlog.contextvars.clear_contextvars()
    get_logger().warning("idle")
    first, second = read_lines(path)
    assert first["event"] == "stage started"
    assert first["movie"] == "abc123"
    assert first["stage"] == "probe"
    assert first["job"] == "job-7"
    assert first["frames"] == 12
    assert first["level"] == "info"
    assert "timestamp" in first
    assert second["event"] == "idle"
    assert second["level"] == "warning"
    assert "movie" not in second


def test_level_filters_lines(tmp_path: Path) -> None:
    path = configure(tmp_path, level="warning")
    log = structlog.get_logger()
    log.info("hidden")
    log.debug("hidden too")
    log.error("shown")
    assert [line["event"] for line in read_lines(path)] == ["shown"]


def test_stdlib_logger_lines_share_the_format(tmp_path: Path) -> None:
    path = configure(tmp_path)
    structlog.contextvars.bind_contextvars(movie="m1", stage="shots", job="j1")
    logging.getLogger("somelib").warning("token is %s", ENV_SECRET)
    (line,) = read_lines(path)
    assert line["movie"] == "m1"
    assert line["stage"] == "shots"
    assert ENV_SECRET not in json.dumps(line)
    assert MASK in line["event"]


def test_secrets_from_environment_picks_secret_names() -> None:
    found = secrets_from_environment(
        {
            "MY_API_KEY": ENV_SECRET,
            "GITHUB_TOKEN": "ghp_abcdef",
            "DB_PASSWORD": "pa55word!",
            "HOME": "/root",
            "SHORT_KEY": "abc",  # too short to mask without mangling ordinary words
        }
    )
    assert found == {ENV_SECRET, "ghp_abcdef", "pa55word!"}


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = configure(tmp_path)
    log = structlog.get_logger()
    log.info(f"calling with {ENV_SECRET}", header=f"Bearer {GIVEN_SECRET}")
    log.info(
        "nested",
        request={"headers": {"x-auth": ENV_SECRET}, "items": [GIVEN_SECRET, ("t", ENV_SECRET)]},
    )
    log.info("named", api_key="plain-value-123", aws_secret_access_key="also-plain-456")
    log.info("nested named", provider={"name": "bedrock", "auth": {"token": "plain-789"}})
    try:
        raise RuntimeError(f"provider refused key {ENV_SECRET} and {GIVEN_SECRET}")
    except RuntimeError:
        log.exception("caption call failed")
    text = path.read_text(encoding="utf-8")
    assert ENV_SECRET not in text
    assert GIVEN_SECRET not in text
    assert "plain-value-123" not in text
    assert "also-plain-456" not in text
    assert "plain-789" not in text
    lines = read_lines(path)
    assert [line["event"] for line in lines] == [
        f"calling with {MASK}",
        "nested",
        "named",
        "nested named",
        "caption call failed",
    ]
    assert lines[0]["header"] == f"Bearer {MASK}"
    assert lines[1]["request"] == {"headers": {"x-auth": MASK}, "items": [MASK, ["t", MASK]]}
    assert lines[2]["api_key"] == MASK
    assert lines[2]["aws_secret_access_key"] == MASK
    assert lines[3]["provider"] == {"name": "bedrock", "auth": MASK}
    traceback = lines[4]["exception"]
    assert "Traceback" in traceback
    assert "RuntimeError: provider refused key" in traceback
    assert MASK in traceback


def test_secret_inside_a_longer_secret_is_masked_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    configure_logging(LogConfig(console="off"), path, {"abcdef", "abcdef-ghijkl"})
    structlog.get_logger().info("x abcdef-ghijkl y")
    (line,) = read_lines(path)
    assert line["event"] == f"x {MASK} y"


def test_log_file_rotates_keeping_backups(tmp_path: Path) -> None:
    path = configure(tmp_path, max_bytes=4096, backups=2)
    log = structlog.get_logger()
    for number in range(200):
        log.info("filler line", number=number, padding="p" * 80)
    for handler in logging.getLogger().handlers:
        handler.flush()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["x.log", "x.log.1", "x.log.2"]
    for name in names:
        size = (tmp_path / name).stat().st_size
        assert 0 < size <= 4096
        for line in (tmp_path / name).read_text(encoding="utf-8").splitlines():
            assert json.loads(line)["event"] == "filler line"
    # The newest line is in the live file, and the oldest ones were dropped.
    assert read_lines(path)[-1]["number"] == 199
    kept = [
        json.loads(line)["number"]
        for name in names
        for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()
    ]
    assert 0 not in kept


def test_configure_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    path = configure(tmp_path)
    configure(tmp_path)
    structlog.get_logger().info("once")
    assert [line["event"] for line in read_lines(path)] == ["once"]


def test_creates_the_log_folder(tmp_path: Path) -> None:
    path = tmp_path / "library" / "logs" / "bunny.log"
    configure_logging(LogConfig(console="off"), path, set())
    structlog.get_logger().info("hello")
    assert read_lines(path)[0]["event"] == "hello"


def test_secret_names_are_whole_words() -> None:
    from daemon.log import SECRET_NAME

    for name in ("OPENAI_API_KEY", "api_key", "HF_TOKEN", "db.password", "apikey", "AUTH"):
        assert SECRET_NAME.search(name), name
    for name in ("keyframes", "author", "monkey", "tokenizer_path", "passes"):
        assert not SECRET_NAME.search(name), name


def test_names_that_are_not_utf8_are_logged_escaped_never_lost(tmp_path: Path) -> None:
    path = configure(tmp_path)
    name = os.fsdecode(b"caf\xe9.mp4")  # as Python hands over a Latin-1 name from disk
    structlog.contextvars.bind_contextvars(file=name)
    try:
        raise OSError(f"cannot read {name}")
    except OSError:
        get_logger().exception("could not take file", path=Path(name), names=[name])
    finally:
        structlog.contextvars.clear_contextvars()
    (line,) = read_lines(path)
    assert line["file"] == line["names"][0] == "caf\\xe9.mp4"
    assert line["path"] == "caf\\xe9.mp4"
    assert "OSError: cannot read caf\\xe9.mp4" in line["exception"]
