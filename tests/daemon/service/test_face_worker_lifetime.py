"""The face workers live and die with the real daemon: a stop closes them, and a daemon
killed outright (kill -9, when nothing of it can clean up) leaves none behind."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, wait_for

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)


def face_workers_of(parent: int) -> set[int]:
    """The processes `parent` started with multiprocessing's spawn (the face workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:  # ended while being read
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in command:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running or asleep; a zombie waiting for a reaper that never comes has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def movie_state(daemon: DaemonProcess) -> str | None:
    repo = daemon.repository()
    try:
        return next((movie.state.value for movie in repo.movies()), None)
    finally:
        repo.close()


def daemon_with_workers(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> tuple[DaemonProcess, set[int]]:
    daemon = daemon_factory(faces={"workers": 2})
    clip = make_clip("faces-pool.mp4", seconds=4.0, size=(320, 240))
    (daemon.inbox / "movies" / "movie.mp4").write_bytes(clip.read_bytes())
    process = daemon.start()
    # The pool starts at the faces stage's first frame and stays up for the daemon's life.
    workers: set[int] = wait_for(lambda: face_workers_of(process.pid), timeout=120)
    return daemon, workers


def test_workers_end_when_the_daemon_is_killed_outright(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon, workers = daemon_with_workers(daemon_factory, make_clip)
    daemon.signal(signal.SIGKILL)
    daemon.wait()
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=30)


def test_a_stopped_daemon_closes_its_workers(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon, workers = daemon_with_workers(daemon_factory, make_clip)
    wait_for(lambda: movie_state(daemon) == "done", timeout=120)  # its faces found by workers
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=30)
    assert any(e["event"] == "face workers stopped" for e in daemon.log_entries())
