"""File names that are not valid UTF-8 (old Windows or Samba disks), through the real daemon:
taken or rejected, kept exactly on disk and in the database, shown escaped everywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from daemon.store import InboxFile, Movie
from tests.conftest import DaemonProcess, wait_for
from tests.hosted import FRAME_STAGES
from tests.inbox_results import events, movie_names

RESCAN_MINUTES = 0.05


def undecodable(folder: Path, raw: bytes) -> Path:
    """`folder / raw`, the name kept as its bytes (Python's surrogate escapes)."""
    return folder / os.fsdecode(raw)


def bunny_status(daemon: DaemonProcess, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon.commands.cli",
            "status",
            "--config",
            str(daemon.config),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_names_that_are_not_utf8_are_taken_or_rejected_and_shown_escaped(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(
        pipeline={"stages": FRAME_STAGES}, watcher={"rescan_minutes": RESCAN_MINUTES}
    )
    movies = daemon.inbox / "movies"
    folder = undecodable(movies, b"old disk \xfe")
    folder.mkdir()
    cafe = undecodable(folder, b"caf\xe9 movie.mp4")
    shutil.copyfile(make_clip(), cafe)
    notes = undecodable(movies, b"notes \xff.mp4")
    notes.write_bytes(b"this is a text file\n")
    photo = undecodable(daemon.inbox / "faces", b"Ann\xe9") / os.fsdecode(b"photo\xe9.jpg")
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 not a whole photo")
    daemon.start()

    shown = "caf\\xe9 movie.mp4"
    wait_for(lambda: shown in movie_names(daemon), timeout=60)
    rejected = daemon.inbox / "rejected"
    notes_reason = undecodable(rejected, b"notes \xff.mp4.reason.txt")
    photo_reason = undecodable(rejected, b"photo\xe9.jpg.reason.txt")
    wait_for(lambda: notes_reason.exists() and photo_reason.exists(), timeout=60)
    assert undecodable(rejected, b"notes \xff.mp4").read_bytes() == b"this is a text file\n"
    notes_text = notes_reason.read_text(encoding="utf-8")
    assert "file: notes \\xff.mp4" in notes_text
    assert f"from: {movies}/notes \\xff.mp4" in notes_text
    assert "not a playable video" in notes_text
    assert "from: " in photo_reason.read_text(encoding="utf-8")

    repo = daemon.repository()
    try:
        movie = Movie.get(Movie.name == shown)
        assert os.fsencode(movie.path) == os.fsencode(cafe), "the real path, byte for byte"
        taken = InboxFile.get(InboxFile.movie == movie.id)
        assert os.fsencode(taken.path) == os.fsencode(cafe)
    finally:
        repo.close()
    # movie.json is written when the movie's first stage ends, which a busy machine may not
    # have reached when the rejections above are filed.
    summary_file = daemon.library / "movies" / movie.sha256[:12] / "movie.json"
    wait_for(summary_file.exists, timeout=60)
    summary = json.loads(summary_file.read_text("utf-8"))
    assert summary["source"] == f"{movies}/old disk \\xfe/{shown}"

    time.sleep(RESCAN_MINUTES * 60 * 2.5)  # rescans meet the same names again
    assert daemon.alive()
    assert not events(daemon, "could not take file")
    queued = [e for e in events(daemon, "movie queued") if e["file"] == shown]
    assert len(queued) == 1, "taken once, not again at each rescan"
    assert str(queued[0]["path"]).endswith("old disk \\xfe/" + shown)
    stderr = (daemon.root / "stderr.log").read_text(encoding="utf-8", errors="replace")
    assert "Logging error" not in stderr

    text = bunny_status(daemon)
    assert text.returncode in (0, 1), text.stderr
    assert shown in text.stdout
    report = bunny_status(daemon, "--json")
    assert report.returncode in (0, 1), report.stderr
    assert shown in {m["name"] for m in json.loads(report.stdout)["movies"]}
