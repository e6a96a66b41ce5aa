"""The real daemon's intake: what a hostile or odd inbox file does to it, and a big movie.

A FIFO or a link to /dev/zero must not freeze intake, broken links and empty files meet the
same rule in faces/ as in movies/, and a movie being hashed holds up no other file.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import HAMILTON, DaemonProcess, wait_for
from tests.hosted import FRAME_STAGES
from tests.inbox_results import events, files_open, movie_names, reasons

# Sparse: no disk space, yet its hash reads every byte (tens of seconds to minutes here).
BIG_SPARSE_BYTES = 32 * 1024**3


@pytest.fixture
def frame_daemon(daemon_factory: Callable[..., DaemonProcess]) -> Iterator[DaemonProcess]:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES})
    (daemon.inbox / "faces" / "Ann").mkdir(parents=True)
    yield daemon


def test_a_fifo_or_a_link_to_dev_zero_is_set_aside_and_intake_goes_on(
    frame_daemon: DaemonProcess, make_clip: Callable[..., Path]
) -> None:
    daemon = frame_daemon
    faces, movies = daemon.inbox / "faces" / "Ann", daemon.inbox / "movies"
    daemon.start()
    wait_for(lambda: (daemon.library / "bunny.db").exists())
    os.mkfifo(faces / "pipe.jpg")
    (faces / "zero.jpg").symlink_to("/dev/zero")
    os.mkfifo(movies / "pipe.mp4")
    (movies / "zero.mp4").symlink_to("/dev/zero")
    time.sleep(0.5)  # the good movie comes after them
    shutil.copyfile(make_clip(), movies / "good.mp4")

    wait_for(lambda: "good.mp4" in movie_names(daemon), timeout=30)
    expected = {"pipe.jpg", "zero.jpg", "pipe.mp4", "zero.mp4"}
    wait_for(lambda: set(reasons(daemon)) == expected, timeout=30)
    found = reasons(daemon)
    assert found["pipe.jpg"] == found["pipe.mp4"] == "not a regular file (a named pipe (FIFO))"
    assert found["zero.jpg"] == found["zero.mp4"] == "not a regular file (a character device)"
    rejected = daemon.inbox / "rejected"
    assert stat.S_ISFIFO(os.lstat(rejected / "pipe.jpg").st_mode), "moved aside, not deleted"
    assert (rejected / "zero.jpg").readlink() == Path("/dev/zero"), "the link moved, as a link"

    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 10


def test_broken_links_and_empty_files_get_the_same_rule_in_faces_and_movies(
    frame_daemon: DaemonProcess,
) -> None:
    daemon = frame_daemon
    faces, movies = daemon.inbox / "faces" / "Ann", daemon.inbox / "movies"
    (faces / "gone.jpg").symlink_to(daemon.root / "nowhere.jpg")
    (movies / "gone.mp4").symlink_to(daemon.root / "nowhere.mp4")
    (faces / "empty.jpg").write_bytes(b"")
    (movies / "empty.mp4").write_bytes(b"")
    daemon.start()

    expected = {"gone.jpg", "gone.mp4", "empty.jpg", "empty.mp4"}
    wait_for(lambda: set(reasons(daemon)) == expected, timeout=30)
    found = reasons(daemon)
    assert found["gone.jpg"].startswith("broken symbolic link (its target ")
    assert found["gone.mp4"].startswith("broken symbolic link (its target ")
    assert found["empty.jpg"] == found["empty.mp4"] == "empty file (0 bytes)"
    assert not events(daemon, "could not take file")
    assert daemon.alive()


@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face photos not found at {HAMILTON}")
def test_a_character_file_beside_a_photo_is_read_through_the_same_check(
    frame_daemon: DaemonProcess,
) -> None:
    """A character.yaml that is a FIFO neither blocks the photo nor stops it being taken."""
    daemon = frame_daemon
    lin = daemon.inbox / "faces" / "Lin"
    lin.mkdir()
    os.mkfifo(lin / "character.yaml")
    shutil.copyfile(HAMILTON / "lin-manuel-miranda.png", lin / "reference.png")
    daemon.start()

    wait_for(lambda: events(daemon, "reference added"), timeout=60)
    wait_for(lambda: "character.yaml" in reasons(daemon), timeout=30)
    assert reasons(daemon)["character.yaml"] == "not a regular file (a named pipe (FIFO))"


def test_a_small_movie_is_taken_while_a_big_one_is_still_being_hashed(
    frame_daemon: DaemonProcess, make_clip: Callable[..., Path]
) -> None:
    daemon = frame_daemon
    big = daemon.inbox / "movies" / "big.mp4"
    try:
        with big.open("wb"):
            pass
        os.truncate(big, BIG_SPARSE_BYTES)
        daemon.start()
        wait_for(lambda: big in files_open(daemon), timeout=30)  # its hash has begun
        shutil.copyfile(make_clip(), daemon.inbox / "movies" / "small.mp4")

        wait_for(lambda: "small.mp4" in movie_names(daemon), timeout=30)
        assert "big.mp4" not in movie_names(daemon), "the big movie's hash ended first"

        # A stop gives way mid-hash: the big movie is hashed again at the next start.
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
        assert time.monotonic() - started < 10
        assert "big.mp4" not in movie_names(daemon)
    finally:
        big.unlink(missing_ok=True)


def test_run_once_waits_for_a_file_still_being_hashed(
    frame_daemon: DaemonProcess, make_clip: Callable[..., Path]
) -> None:
    """A file on an intake thread is pending work: `--once` does not end before it is taken."""
    daemon = frame_daemon
    big = daemon.inbox / "movies" / "zeros.mp4"
    try:
        with big.open("wb"):
            pass
        os.truncate(big, 1024**3)
        shutil.copyfile(make_clip(), daemon.inbox / "movies" / "small.mp4")
        result = daemon.run_once(timeout=600)
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
        assert movie_names(daemon) == {"zeros.mp4", "small.mp4"}
        assert reasons(daemon)["zeros.mp4"].startswith("not a playable video")
    finally:
        big.unlink(missing_ok=True)
        (daemon.inbox / "rejected" / "zeros.mp4").unlink(missing_ok=True)


def test_a_movie_replaced_by_a_fifo_after_it_was_taken_is_rejected_not_read(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    """Each stage checks the file again before reading it: a FIFO put in the movie's place
    cannot hang a worker. (`--once` watches no events: the stage meets the FIFO, not the
    intake.)"""
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES, "stage_delay_seconds": 2})
    movie = daemon.inbox / "movies" / "swapped.mp4"
    shutil.copyfile(make_clip(), movie)
    daemon.start("--once")
    wait_for(lambda: events(daemon, "stage started"), timeout=30)
    movie.unlink()
    os.mkfifo(movie)

    assert daemon.wait(timeout=60) == 0
    assert reasons(daemon)["swapped.mp4"] == "not a regular file (a named pipe (FIFO))"
    (rejection,) = events(daemon, "movie rejected")
    assert rejection["stage"] == "probe"
