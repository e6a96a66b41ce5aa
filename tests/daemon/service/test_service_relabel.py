"""References taken while a movie runs: the movie is done only once its later stages have
run on the new labels, never done first and queued again (a window `run --once`'s idle
check could fall into, ending with images left uncaptioned)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
from collections.abc import Callable
from contextlib import closing

import pytest

from tests.conftest import HAMILTON, DaemonProcess, wait_for

# Every stage is held open this long, so the reference photo, settled in about two seconds,
# is always taken while the movie is between its faces stage and its end.
STAGE_DELAY = 3

STATE_LOG = """
CREATE TABLE state_log (id INTEGER PRIMARY KEY, movie INTEGER, state TEXT);
CREATE TRIGGER log_state AFTER UPDATE OF state ON movie WHEN new.state != old.state
BEGIN INSERT INTO state_log (movie, state) VALUES (new.id, new.state); END;
"""


def query(daemon: DaemonProcess, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(daemon.library / "bunny.db", timeout=30)) as db, db:
        return db.execute(sql).fetchall()


def seen(daemon: DaemonProcess, sql: str) -> bool:
    """For waiting: the database may not be there yet."""
    try:
        return bool(query(daemon, sql))
    except sqlite3.OperationalError:
        return False


@pytest.mark.slow
@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_references_taken_mid_movie_rerun_its_later_stages_before_it_is_done(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(pipeline={"stage_delay_seconds": STAGE_DELAY})
    daemon.start()
    try:
        wait_for(lambda: seen(daemon, "SELECT 1 FROM meta WHERE key='heartbeat'"), 60)
        with closing(sqlite3.connect(daemon.library / "bunny.db", timeout=30)) as db:
            db.executescript(STATE_LOG)  # watches every state the movie passes through
        shutil.copyfile(HAMILTON / "short_hamilton_clip.mp4", daemon.inbox / "movies" / "h.mp4")
        wait_for(lambda: seen(daemon, "SELECT 1 FROM movie WHERE stage='faces'"), 120)
        lin = daemon.inbox / "faces" / "Lin-Manuel Miranda"
        lin.mkdir(parents=True)
        shutil.copyfile(HAMILTON / "lin-manuel-miranda.png", lin / "reference.png")
        wait_for(lambda: seen(daemon, "SELECT 1 FROM movie WHERE state='done'"), 240)
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        daemon.stop()
    states = [state for (state,) in query(daemon, "SELECT state FROM state_log ORDER BY id")]
    assert states == ["running", "done"], "the movie was marked done before its labels settled"
    images = query(daemon, "SELECT file FROM dataset_image")
    captions = query(daemon, "SELECT DISTINCT file FROM caption")
    assert images, "the new character got images from the movie already running"
    assert sorted(images) == sorted(captions), "every dataset image is captioned"
