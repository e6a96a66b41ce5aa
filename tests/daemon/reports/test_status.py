"""daemon/reports/status.py through the CLI: `bunny status` and `bunny retry` on a real database."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.commands.cli import main
from daemon.repository import DiskReading, MovieRecord, Repository
from daemon.store import MovieState, utcnow


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No config file anywhere: the built-in defaults plus --library.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def repo(library: Path) -> Iterator[Repository]:
    repository = Repository(library / "bunny.db")
    yield repository
    repository.close()


def add(repo: Repository, name: str) -> MovieRecord:
    return repo.add_movie(sha(name), name, Path("inbox/movies") / name, 1234)


@pytest.fixture
def movies(repo: Repository) -> dict[str, MovieRecord]:
    """One movie in each state the commands care about."""
    made = {name: add(repo, f"{name}.mp4") for name in ("queued", "waiting", "failed", "rejected")}
    repo.schedule_retry(
        made["waiting"].id, "probe: timeout", attempts=1, at=utcnow() + timedelta(hours=1)
    )
    repo.mark_failed(made["failed"].id, "shots: decoder crashed", attempts=4)
    repo.mark_rejected(made["rejected"].id, "not a video")
    return made


def status_json(
    library: Path, capsys: pytest.CaptureFixture[str], exit_status: int | None = None
) -> dict[str, Any]:
    code = main(["status", "--library", str(library), "--json"])
    if exit_status is not None:
        assert code == exit_status
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def reopened(library: Path) -> Repository:
    # The commands open (and close) their own connection: look through a fresh one.
    return Repository(library / "bunny.db")


def states_in(library: Path) -> dict[str, MovieState]:
    check = reopened(library)
    try:
        return {m.name: m.state for m in check.movies()}
    finally:
        check.close()


def test_status_json_counts_states_and_queue(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = status_json(library, capsys)
    assert report["database"] == str(library / "bunny.db")
    assert report["counts"] == {
        "queued": 1,
        "running": 0,
        "waiting": 1,
        "done": 0,
        "failed": 1,
        "rejected": 1,
    }
    assert report["queue_length"] == 2
    assert report["daemon_running"] is False
    assert report["daemon_pid"] is None
    by_name = {line["name"]: line for line in report["movies"]}
    assert set(by_name) == {"queued.mp4", "waiting.mp4", "failed.mp4", "rejected.mp4"}
    for name, record in movies.items():
        line = by_name[f"{name}.mp4"]
        assert line["state"] == name
        assert line["id"] == record.sha256[:12]
    assert by_name["failed.mp4"]["last_error"] == "shots: decoder crashed"
    assert by_name["failed.mp4"]["attempts"] == 4
    assert by_name["waiting.mp4"]["next_attempt_at"].endswith("Z")
    assert by_name["rejected.mp4"]["last_error"] == "not a video"


def test_status_daemon_running_after_a_heartbeat(
    library: Path, repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    add(repo, "a.mp4")
    repo.beat(pid=4321)
    report = status_json(library, capsys)
    assert report["daemon_running"] is True
    assert report["daemon_pid"] == 4321
    assert report["heartbeat_age_seconds"] < 5
    assert report["queue_length"] == 1


def test_status_text_output(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status", "--library", str(library)]) == 2  # critical: not running
    out = capsys.readouterr().out
    assert "health:   critical: the daemon is not running" in out
    assert "not running" in out
    assert "2 movie(s) waiting to run" in out
    assert "last error: shots: decoder crashed" in out
    assert movies["failed"].sha256[:12] in out


def test_status_without_database(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--library", str(library / "empty"), "--json"]) == 3  # unknown
    captured = capsys.readouterr()
    assert "no database" in captured.err
    assert str(library / "empty" / "bunny.db") in captured.err
    assert captured.out == ""
    assert not (library / "empty" / "bunny.db").exists()  # status creates nothing


def test_retry_requeues_failed_and_waiting(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["retry", "--library", str(library)]) == 0
    out = capsys.readouterr().out
    assert "waiting.mp4" in out
    assert "failed.mp4" in out
    check = reopened(library)
    try:
        states = {m.name: m for m in check.movies()}
        assert states["failed.mp4"].state is MovieState.QUEUED
        assert states["waiting.mp4"].state is MovieState.QUEUED
        assert states["failed.mp4"].attempts == 0
        assert states["waiting.mp4"].next_attempt_at is None
        assert states["queued.mp4"].state is MovieState.QUEUED
        assert states["rejected.mp4"].state is MovieState.REJECTED
    finally:
        check.close()
    assert status_json(library, capsys)["queue_length"] == 3


def test_retry_one_movie_by_id_prefix(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = movies["failed"].sha256[:6]
    assert main(["retry", "--library", str(library), key]) == 0
    assert "failed.mp4" in capsys.readouterr().out
    states = states_in(library)
    assert states["failed.mp4"] is MovieState.QUEUED
    assert states["waiting.mp4"] is MovieState.WAITING


def test_retry_unknown_movie_fails(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["retry", "--library", str(library), "zzzz-no-such-movie"]) != 0
    assert "zzzz-no-such-movie" in capsys.readouterr().err
    states = states_in(library)
    assert states["failed.mp4"] is MovieState.FAILED


def test_retry_a_rejected_movie_is_refused(
    library: Path,
    repo: Repository,
    movies: dict[str, MovieRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = movies["rejected"].sha256[:12]
    assert main(["retry", "--library", str(library), key]) != 0
    capsys.readouterr()


def test_retry_with_nothing_to_retry(
    library: Path, repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    add(repo, "fine.mp4")
    assert main(["retry", "--library", str(library)]) != 0
    assert "no failed or waiting movie" in capsys.readouterr().err


def test_retry_without_database(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retry", "--library", str(library / "empty")]) == 1
    assert "no database" in capsys.readouterr().err


def test_health_is_the_exit_status_for_monitoring(
    library: Path, repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    add(repo, "a.mp4")
    repo.beat(pid=4321)
    healthy = status_json(library, capsys, exit_status=0)
    assert healthy["health"] == {"state": "ok", "problems": []}

    failed = add(repo, "b.mp4")
    repo.mark_failed(failed.id, "faces: out of memory", attempts=4)
    repo.save_breaker_state("openai", "open")
    warning = status_json(library, capsys, exit_status=1)
    assert warning["health"] == {
        "state": "warning",
        "problems": [
            "1 movie(s) failed (`bunny retry`)",
            "caption provider openai is unavailable",
        ],
    }

    free = shutil.disk_usage(library).free
    repo.save_disk_reading(DiskReading(str(library), free, free * 2, utcnow()))
    paused = status_json(library, capsys, exit_status=2)
    assert paused["health"]["state"] == "critical"
    assert paused["health"]["problems"][0].startswith("new work paused:")
    assert paused["disk"]["paused"] is True and paused["disk"]["free_gb"] > 0

    repo.clear_heartbeat()
    down = status_json(library, capsys, exit_status=2)
    assert down["health"]["problems"][0] == "the daemon is not running"
    assert down["disk"]["paused"] is False, "a stopped daemon's last reading says nothing"


def test_last_error_comes_from_the_log(
    library: Path, repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = library / "logs"
    logs.mkdir()
    entries = [
        {"timestamp": "2026-11-20T10:00:00Z", "level": "error", "event": "old failure"},
        {"timestamp": "2026-11-21T09:00:00Z", "level": "error", "event": "stage failed",
         "movie": "abc123", "stage": "faces", "error": "dlib crashed"},
        {"timestamp": "2026-11-21T09:00:01Z", "level": "info", "event": "all well"},
    ]  # fmt: skip
    (logs / "bunny.log.1").write_text(json.dumps(entries[0]) + "\n", encoding="utf-8")
    (logs / "bunny.log").write_text(
        "".join(json.dumps(e) + "\n" for e in entries[1:]), encoding="utf-8"
    )
    report = status_json(library, capsys)
    assert report["last_error"] == (
        "2026-11-21 09:00:00 ERROR   stage failed [movie=abc123 stage=faces] error=dlib crashed"
    )
    (logs / "bunny.log").write_text(json.dumps(entries[2]) + "\n", encoding="utf-8")
    assert status_json(library, capsys)["last_error"].endswith("ERROR   old failure")
