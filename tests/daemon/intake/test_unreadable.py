"""Folders and files the daemon may not read, under its own user: skipped or set aside,
and the daemon goes on."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import wait_for
from tests.hosted import FRAME_STAGES
from tests.inbox_results import events, movie_names, reasons
from tests.unprivileged import NobodyDaemon, needs_root, nobody_daemon

__all__ = ["nobody_daemon"]  # the fixture, used by name

RESCAN_MINUTES = 0.05  # every 3 s, so that several rescans meet the same folders
SKIPPED = "skipped: the daemon may not read it"


@needs_root
def test_unreadable_folders_and_files_are_skipped_or_set_aside_and_the_daemon_goes_on(
    nobody_daemon: Callable[..., NobodyDaemon], make_clip: Callable[..., Path]
) -> None:
    daemon = nobody_daemon(
        pipeline={"stages": FRAME_STAGES}, watcher={"rescan_minutes": RESCAN_MINUTES}
    )
    movies, faces = daemon.inbox / "movies", daemon.inbox / "faces" / "Ann"
    faces.mkdir(parents=True)
    closed, unsearchable = movies / "closed", movies / "unsearchable"
    for folder in (closed, unsearchable):
        folder.mkdir()
        shutil.copyfile(make_clip(), folder / "inside.mp4")
    (movies / "secret.mp4").write_bytes(make_clip().read_bytes())
    (faces / "secret.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    daemon.hand_over()
    closed.chmod(0o000)  # cannot be listed
    unsearchable.chmod(0o600)  # listed, but what is in it cannot be looked at
    (movies / "secret.mp4").chmod(0o000)
    (faces / "secret.jpg").chmod(0o000)
    daemon.start()

    wait_for(lambda: {"secret.mp4", "secret.jpg"} <= set(reasons(daemon)), timeout=30)
    found = reasons(daemon)
    assert (
        found["secret.mp4"]
        == found["secret.jpg"]
        == ("not readable by the daemon (permission denied)")
    )
    good = movies / "good.mp4"
    shutil.copyfile(make_clip(seed=5), good)
    good.chmod(0o644)
    wait_for(lambda: "good.mp4" in movie_names(daemon), timeout=30)
    time.sleep(RESCAN_MINUTES * 60 * 2.5)  # more rescans meet the same folders
    assert daemon.alive(), (daemon.root / "stderr.log").read_text()

    warned = [str(entry["path"]) for entry in events(daemon, SKIPPED)]
    assert sorted(warned) == sorted([str(closed), str(unsearchable / "inside.mp4")]), (
        "each is warned about once"
    )
    assert not events(daemon, "could not take file")
    assert (closed.stat().st_mode & 0o777, unsearchable.stat().st_mode & 0o777) == (0, 0o600)
