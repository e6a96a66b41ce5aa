"""daemon/intake/inbox_open.py: the one check of an inbox file, on its open descriptor."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from daemon.intake.inbox_open import (
    TakeAbandonedError,
    UnusableFileError,
    open_inbox_file,
    sha256_of_handle,
)


def reason(path: Path, follow_symlinks: bool = True) -> str:
    with pytest.raises(UnusableFileError) as caught, open_inbox_file(path, follow_symlinks):
        pass
    return str(caught.value)


def test_a_regular_file_is_opened_with_its_size_and_hashed(tmp_path: Path) -> None:
    movie = tmp_path / "m.mp4"
    movie.write_bytes(b"frames" * 1000)
    with open_inbox_file(movie) as opened:
        assert opened.size == 6000
        assert opened.mtime_ns == movie.stat().st_mtime_ns
        assert sha256_of_handle(opened.handle) == hashlib.sha256(b"frames" * 1000).hexdigest()


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert reason(fifo) == "not a regular file (a named pipe (FIFO))"


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.mp4"
    link.symlink_to("/dev/zero")
    assert reason(link) == "not a regular file (a character device)"


def test_a_folder_an_empty_file_and_a_broken_link_are_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")
    assert reason(tmp_path / "folder.mp4") == "not a regular file (a folder)"
    assert reason(tmp_path / "empty.mp4") == "empty file (0 bytes)"
    assert reason(tmp_path / "gone.mp4") == (
        f"broken symbolic link (its target {tmp_path / 'nowhere.mp4'} does not exist)"
    )


def test_links_are_refused_when_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.mp4"
    target.write_bytes(b"x")
    (tmp_path / "link.mp4").symlink_to(target)
    assert "symbolic links are not followed" in reason(tmp_path / "link.mp4", False)


def test_a_vanished_file_is_not_a_reason(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), open_inbox_file(tmp_path / "never.mp4"):
        pass


def test_a_hash_gives_way_to_a_stop(tmp_path: Path) -> None:
    movie = tmp_path / "m.mp4"
    movie.write_bytes(b"x" * 10)
    stop = threading.Event()
    stop.set()
    with pytest.raises(TakeAbandonedError), open_inbox_file(movie) as opened:
        sha256_of_handle(opened.handle, stop)
