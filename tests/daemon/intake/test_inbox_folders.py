"""The daemon's own inbox folders are real folders: a link in their place is never followed."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.commands.cli import EXIT_CONFIG
from tests.conftest import DaemonProcess, wait_for
from tests.hosted import FRAME_STAGES
from tests.inbox_results import events


@pytest.mark.parametrize("folder", ["rejected", "done", "movies", "faces"])
def test_the_daemon_refuses_to_start_when_its_folder_is_a_link(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, folder: str
) -> None:
    daemon = daemon_factory()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(daemon.inbox / folder, ignore_errors=True)
    (daemon.inbox / folder).symlink_to(elsewhere)
    daemon.start()

    assert daemon.wait(timeout=60) == EXIT_CONFIG
    (refusal,) = [e for e in daemon.log_entries() if e["level"] == "error"]
    assert refusal["event"] == "refusing to start"
    assert f"{daemon.inbox / folder} is a symbolic link" in str(refusal["reason"])
    assert "refusing to start" in (daemon.root / "stderr.log").read_text(encoding="utf-8")


def test_a_rejected_folder_swapped_for_a_link_while_running_is_not_followed(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES})
    (daemon.inbox / "rejected").mkdir(parents=True)
    daemon.start()
    wait_for(lambda: any(e["event"] == "daemon started" for e in daemon.log_entries()))
    outside = tmp_path / "outside"
    outside.mkdir()
    (daemon.inbox / "rejected").rmdir()
    (daemon.inbox / "rejected").symlink_to(outside)
    bad = daemon.inbox / "movies" / "empty.mp4"
    bad.write_bytes(b"")

    wait_for(lambda: events(daemon, "could not take file"), timeout=30)
    assert list(outside.iterdir()) == [], "nothing was written through the link"
    assert bad.exists(), "the file stays where it was"
    (failure,) = events(daemon, "could not take file")[:1]
    assert "is a symbolic link" in str(failure["error"])
    daemon.signal(signal.SIGTERM)
    started = time.monotonic()
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 10


def test_a_done_folder_swapped_for_a_link_while_running_is_not_followed(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES}, after_done="move")
    (daemon.inbox / "done").mkdir(parents=True)
    daemon.start()
    wait_for(lambda: any(e["event"] == "daemon started" for e in daemon.log_entries()))
    outside = tmp_path / "outside"
    outside.mkdir()
    (daemon.inbox / "done").rmdir()
    (daemon.inbox / "done").symlink_to(outside)
    movie = daemon.inbox / "movies" / "good.mp4"
    shutil.copyfile(make_clip(), movie)

    wait_for(lambda: events(daemon, "movie done"), timeout=60)
    assert list(outside.iterdir()) == [], "nothing was moved through the link"
    assert movie.is_file(), "the movie stays where it was"
    (failure,) = events(daemon, "could not move the movie to done/")
    assert "is a symbolic link" in str(failure["error"])
