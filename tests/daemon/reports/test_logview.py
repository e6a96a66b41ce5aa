"""daemon/reports/logview.py: `bunny logs` shows, filters and follows the log across rotation."""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.reports.logview import LogFilter, _follow, format_entry, show_log

WAIT_SECONDS = 5.0


def entry(event: str, level: str = "info", **fields: Any) -> dict[str, Any]:
    return {"timestamp": "2024-05-01T12:34:56.789Z", "level": level, "event": event, **fields}


def write_entries(path: Path, entries: list[dict[str, Any]], mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as handle:
        for item in entries:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "bunny.log"
    write_entries(
        path,
        [
            entry("daemon started", pid=42),
            entry("stage started", movie="abc123def456", stage="probe", job="j1"),
            entry("stage failed", "error", movie="abc123def456", stage="shots", job="j1"),
            entry("stage started", movie="fff000111222", stage="probe", job="j2"),
            entry("noise", "debug", movie="fff000111222", stage="probe", job="j2"),
        ],
        mode="w",
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("not json at all\n")
    write_entries(path, [entry("stage done", movie="fff000111222", stage="probe", job="j2")])
    return path


def shown(path: Path, wanted: LogFilter | None = None, lines: int = 20) -> list[str]:
    wanted = wanted or LogFilter()
    out = io.StringIO()
    assert show_log(path, wanted, follow=False, lines=lines, out=out) == 0
    return out.getvalue().splitlines()


def test_format_entry_is_pretty() -> None:
    text = format_entry(
        entry("stage done", movie="abc", stage="probe", job="j1", seconds=1.5, logger="bunny")
    )
    assert (
        text == "2024-05-01 12:34:56 INFO    stage done [movie=abc stage=probe job=j1] seconds=1.5"
    )


def test_show_last_lines(log_file: Path) -> None:
    lines = shown(log_file, lines=2)
    assert len(lines) == 2
    assert "noise" in lines[0]
    assert "stage done" in lines[1]
    assert "[movie=fff000111222 stage=probe job=j2]" in lines[1]
    assert not any("{" in line for line in lines)  # pretty, not raw JSON


def test_show_all_skips_lines_that_are_not_json(log_file: Path) -> None:
    lines = shown(log_file)
    assert len(lines) == 6
    assert not any("not json" in line for line in lines)
    assert "pid=42" in lines[0]


def test_filter_by_movie_prefix(log_file: Path) -> None:
    lines = shown(log_file, LogFilter(movie="abc1"))
    assert len(lines) == 2
    assert all("movie=abc123def456" in line for line in lines)


def test_filter_by_stage(log_file: Path) -> None:
    lines = shown(log_file, LogFilter(stage="shots"))
    assert len(lines) == 1
    assert "stage failed" in lines[0]


def test_filter_by_level(log_file: Path) -> None:
    assert len(shown(log_file, LogFilter(level="info"))) == 5
    errors = shown(log_file, LogFilter(level="error"))
    assert len(errors) == 1
    assert "ERROR" in errors[0]


def test_filters_combine_and_last_n_counts_matches(log_file: Path) -> None:
    lines = shown(log_file, LogFilter(movie="fff", stage="probe", level="info"), lines=1)
    assert len(lines) == 1
    assert "stage done" in lines[0]


def test_missing_log_without_follow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert show_log(tmp_path / "none.log", LogFilter(), follow=False, lines=5, out=out) == 1
    assert "no log yet" in capsys.readouterr().err
    assert out.getvalue() == ""


# --- following ----------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Follower:
    """Runs the endless `_follow` generator in a thread; `take` waits a bounded time."""

    def __init__(self, entries: Iterator[dict[str, Any]]) -> None:
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._entries = entries
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for item in self._entries:
            self._queue.put(item)

    def take(self) -> dict[str, Any]:
        try:
            return self._queue.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            pytest.fail(f"no log entry within {WAIT_SECONDS} s")

    def nothing_more(self, seconds: float = 0.6) -> bool:
        try:
            self._queue.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


def test_follow_picks_up_appended_lines(log_file: Path) -> None:
    follower = Follower(_follow(log_file, log_file.stat().st_size))
    assert follower.nothing_more()  # old lines are history, not news
    write_entries(log_file, [entry("new one", movie="abc123def456")])
    got = follower.take()
    assert got["event"] == "new one"
    assert got["movie"] == "abc123def456"


def test_follow_waits_for_the_end_of_a_line(log_file: Path) -> None:
    follower = Follower(_follow(log_file, log_file.stat().st_size))
    line = json.dumps(entry("split line"))
    with log_file.open("a", encoding="utf-8") as handle:
        handle.write(line[:10])
    assert follower.nothing_more()
    with log_file.open("a", encoding="utf-8") as handle:
        handle.write(line[10:] + "\n")
    assert follower.take()["event"] == "split line"


def test_follow_survives_rotation(log_file: Path) -> None:
    follower = Follower(_follow(log_file, log_file.stat().st_size))
    write_entries(log_file, [entry("before rotation")])
    assert follower.take()["event"] == "before rotation"
    log_file.rename(log_file.with_name("bunny.log.1"))
    assert follower.nothing_more()  # no file for a moment: it waits
    write_entries(log_file, [entry("after rotation")], mode="w")
    assert follower.take()["event"] == "after rotation"
    write_entries(log_file, [entry("and more")])
    assert follower.take()["event"] == "and more"


def test_follow_after_truncation(log_file: Path) -> None:
    follower = Follower(_follow(log_file, log_file.stat().st_size))
    write_entries(log_file, [entry("fresh start")], mode="w")
    assert follower.take()["event"] == "fresh start"


def test_follow_a_log_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    follower = Follower(_follow(path, 0))
    assert follower.nothing_more()
    write_entries(path, [entry("first line")], mode="w")
    assert follower.take()["event"] == "first line"


def test_follow_through_show_log(log_file: Path) -> None:
    out = io.StringIO()
    thread = threading.Thread(
        target=show_log,
        args=(log_file, LogFilter(movie="abc"), True, 1),
        kwargs={"out": out},
        daemon=True,
    )
    thread.start()
    assert wait_for(lambda: "stage failed" in out.getvalue())  # history printed first
    write_entries(
        log_file,
        [entry("other movie", movie="fff000111222"), entry("followed", movie="abc123def456")],
    )
    assert wait_for(lambda: "followed" in out.getvalue())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "stage failed" in lines[0]  # the last line of history for this movie
    assert "followed" in lines[1]
