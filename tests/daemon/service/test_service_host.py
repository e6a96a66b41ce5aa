"""daemon/service/host.py: the real daemon, hosted on a thread as the Windows service hosts it,
on a real config file, inbox and library. Only the event log is a stand-in (a list)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
import structlog

from daemon.log import MASK
from daemon.service.host import (
    EXIT_CRASHED,
    STARTUP_GRACE_SECONDS,
    STOP_MARGIN_SECONDS,
    ServiceHost,
    ServiceStartError,
)
from daemon.service.instance_lock import InstanceLock
from tests.conftest import wait_for
from tests.hosted import NOISY_LOGGERS, EventLog, log_events, logged, movie_states, write_config
from tests.logging_state import restored_logging

# A start that lived this long counts as started; short, so that the tests run quickly.
GRACE = 1.0


def wait_bounded(host: ServiceHost, seconds: float = 30) -> int | None:
    """host.wait(), or None when the daemon is still running after `seconds`."""
    statuses: list[int] = []
    waiting = threading.Thread(target=lambda: statuses.append(host.wait()), daemon=True)
    waiting.start()
    waiting.join(seconds)
    return statuses[0] if statuses else None


@pytest.fixture(autouse=True)
def reset_logging() -> Iterator[None]:
    with restored_logging(*NOISY_LOGGERS):
        yield


@pytest.fixture
def hosts() -> Iterator[Callable[..., ServiceHost]]:
    """Makes hosts, and stops any a failed test left running."""
    made: list[ServiceHost] = []

    def make(
        config: Path | None,
        events: EventLog,
        startup_grace_seconds: float = STARTUP_GRACE_SECONDS,
    ) -> ServiceHost:
        host = ServiceHost(config, events, startup_grace_seconds=startup_grace_seconds)
        made.append(host)
        return host

    yield make
    for host in made:
        host.stop(30)


def test_start_then_stop_within_the_wait_hint_mid_stage(
    tmp_path: Path, hosts: Callable[..., ServiceHost], make_clip: Callable[..., Path]
) -> None:
    config = write_config(tmp_path, pipeline={"stage_delay_seconds": 60})
    movies = tmp_path / "inbox" / "movies"
    movies.mkdir(parents=True)
    shutil.copy(make_clip(), movies / "long stage.mp4")
    events = EventLog()
    host = hosts(config, events, startup_grace_seconds=GRACE)

    host.start()
    library = tmp_path / "library"
    wait_for(lambda: movie_states(library).get("long stage.mp4") == "running", timeout=20)
    assert host.stop_wait_seconds == 3 + STOP_MARGIN_SECONDS
    started = time.monotonic()
    assert host.stop(host.stop_wait_seconds), "the daemon did not stop within the wait hint"
    assert time.monotonic() - started < host.stop_wait_seconds
    assert wait_bounded(host) == 0

    assert movie_states(library)["long stage.mp4"] == "queued", "the stage in flight is requeued"
    assert logged(library, "daemon started")
    assert logged(library, "daemon stopped")
    assert events.errors == []
    (started_message,) = events.infos
    assert str(config) in started_message
    assert str(library / "logs" / "bunny.log") in started_message


def test_a_movie_dropped_while_hosted_is_processed(
    tmp_path: Path, hosts: Callable[..., ServiceHost], make_clip: Callable[..., Path]
) -> None:
    host = hosts(write_config(tmp_path), EventLog(), startup_grace_seconds=GRACE)
    host.start()
    movies = tmp_path / "inbox" / "movies"
    shutil.copy(make_clip(), movies / "dropped.mp4")
    library = tmp_path / "library"
    wait_for(lambda: movie_states(library).get("dropped.mp4") == "done", timeout=60)
    assert host.stop(host.stop_wait_seconds)
    assert wait_bounded(host) == 0
    (movie,) = (library / "movies").iterdir()
    assert any((movie / "frames").glob("*.jpg"))


def test_logging_is_that_of_bunny_run_with_the_caption_key_masked(
    tmp_path: Path, hosts: Callable[..., ServiceHost], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A variable name that looks like no secret: only the config says it holds one.
    monkeypatch.setenv("CAPTION_SERVER_WORD", "open-sesame-42")
    config = write_config(tmp_path, captions={"openai": {"api_key_env": "CAPTION_SERVER_WORD"}})
    host = hosts(config, EventLog(), startup_grace_seconds=GRACE)
    host.start()
    structlog.get_logger("test").info("said aloud", words="the word is open-sesame-42")
    assert host.stop(host.stop_wait_seconds)
    (line,) = [e for e in log_events(tmp_path / "library") if e["event"] == "said aloud"]
    assert line["words"] == f"the word is {MASK}"


def test_a_broken_config_is_reported_with_its_key_and_file(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    config = write_config(tmp_path, pipeline={"wrkers": 2})
    events = EventLog()
    host = hosts(config, events)
    with pytest.raises(ServiceStartError):
        host.start()
    (error,) = events.errors
    assert "could not start: config error" in error
    assert str(config) in error
    assert "pipeline.wrkers" in error
    assert "did you mean 'pipeline.workers'" in error
    assert not (tmp_path / "library").exists(), "nothing ran"


def test_a_service_installed_without_a_config_says_how_to_set_one(
    hosts: Callable[..., ServiceHost],
) -> None:
    events = EventLog()
    with pytest.raises(ServiceStartError):
        hosts(None, events).start()
    assert "bunny service install --config FILE" in events.errors[0]


def test_a_bad_stage_list_found_by_the_daemon_is_a_start_failure(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    config = write_config(tmp_path, pipeline={"stages": ["probe", "frames"]})
    events = EventLog()
    with pytest.raises(ServiceStartError):
        hosts(config, events).start()
    (error,) = events.errors
    assert "'pipeline.stages' lists 'frames' without 'shots'" in error
    assert str(config) in error


def test_a_library_held_by_another_daemon_is_a_start_failure(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    config = write_config(tmp_path)
    library = tmp_path / "library"
    other = InstanceLock(library / "bunny.lock")
    other.acquire()
    events = EventLog()
    try:
        with pytest.raises(ServiceStartError):
            hosts(config, events).start()
    finally:
        other.release()
    (error,) = events.errors
    assert "could not start: another daemon" in error
    assert str(library / "bunny.lock") in error
    assert not logged(library, "daemon started")

    # Once the other daemon has gone, the same service starts.
    again = hosts(config, EventLog(), startup_grace_seconds=GRACE)
    again.start()
    assert again.stop(again.stop_wait_seconds)
    assert logged(library, "daemon started")


def test_a_crash_early_in_the_run_is_a_start_failure(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    # The library is a file: the daemon's run fails at its first step, the lock file.
    config = write_config(tmp_path, log={"file": "logs/bunny.log"})
    (tmp_path / "library").write_text("not a folder")
    events = EventLog()
    with pytest.raises(ServiceStartError):
        hosts(config, events).start()
    (error,) = events.errors
    assert "could not start" in error
    assert str(tmp_path / "library") in error
    lines = (tmp_path / "logs" / "bunny.log").read_text(encoding="utf-8")
    assert "the daemon failed" in lines, "the structured log has the traceback"


def test_a_crash_after_the_start_is_reported_by_wait(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    events = EventLog()
    host = hosts(write_config(tmp_path), events, startup_grace_seconds=GRACE)
    host.start()
    # The database damaged under the running daemon: its main loop's next query fails.
    database = tmp_path / "library" / "bunny.db"
    with closing(sqlite3.connect(database, timeout=10)) as connection:
        connection.execute("DROP TABLE reference_face")
    assert wait_bounded(host) == EXIT_CRASHED
    (error,) = events.errors
    assert "stopped unexpectedly" in error
    assert "no such table: reference_face" in error
    assert str(tmp_path / "library" / "logs" / "bunny.log") in error
    assert logged(tmp_path / "library", "the daemon failed")


def test_a_stop_while_starting_still_stops(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    library = tmp_path / "library"
    events = EventLog()
    host = hosts(write_config(tmp_path), events, startup_grace_seconds=60)
    failures: list[BaseException] = []

    def service_main() -> None:
        try:
            host.start()
        except BaseException as exc:
            failures.append(exc)

    starting = threading.Thread(target=service_main)
    starting.start()
    wait_for(lambda: logged(library, "daemon started"), timeout=20)
    assert starting.is_alive(), "start() still waits out its grace period"
    assert host.stop(host.stop_wait_seconds)
    starting.join(10)
    assert not starting.is_alive(), "start() returns once the daemon has stopped"
    assert failures == []
    assert wait_bounded(host) == 0
    assert logged(library, "daemon stopped")
    assert events.errors == []
    assert events.infos == [], "it never said it had started"


def test_a_stop_before_the_start_means_the_daemon_never_runs(
    tmp_path: Path, hosts: Callable[..., ServiceHost]
) -> None:
    host = hosts(write_config(tmp_path), EventLog(), startup_grace_seconds=60)
    assert host.stop(host.stop_wait_seconds)
    started = time.monotonic()
    host.start()
    assert wait_bounded(host) == 0
    assert time.monotonic() - started < 10, "nothing was started, so nothing was waited for"
    assert not logged(tmp_path / "library", "daemon started")
    assert not (tmp_path / "library" / "bunny.db").exists()


def _web_address(library: Path) -> str | None:
    with closing(sqlite3.connect(library / "bunny.db")) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'web_address'").fetchone()
    return str(row[0]) if row and row[0] else None


def test_the_hosted_daemon_serves_the_review_page(tmp_path: Path) -> None:
    import urllib.request

    from daemon.web.companion import page_companions

    config = write_config(tmp_path, web={"port": 0})
    host = ServiceHost(config, EventLog(), startup_grace_seconds=GRACE, companions=page_companions)
    library = tmp_path / "library"
    try:
        host.start()
        wait_for(lambda: _web_address(library) is not None, timeout=20)
        url = _web_address(library)
        assert url is not None and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert "Overview" in response.read().decode("utf-8")
    finally:
        assert host.stop(30)
    assert _web_address(library) is None, "the address is cleared when the service stops"


def test_a_hosted_page_on_another_address_without_a_password_stops_the_start(
    tmp_path: Path,
) -> None:
    from daemon.web.companion import page_companions

    config = write_config(tmp_path, web={"host": "0.0.0.0", "port": 0})
    events = EventLog()
    host = ServiceHost(config, events, startup_grace_seconds=GRACE, companions=page_companions)
    with pytest.raises(ServiceStartError):
        host.start()
    assert any("no password is set" in message for message in events.errors), events.errors
