"""The hostile start: inbox/rejected or inbox/done replaced by a link out of the tree. The
daemon must refuse to start, say why, and write nothing through the link."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess
from tests.hostile.evidence import changes, snapshot

FRAME_STAGES = ["probe", "shots", "frames", "quality"]
EXIT_SECONDS = 30


@pytest.mark.parametrize("folder", ["rejected", "done"])
def test_a_daemon_folder_linked_out_of_the_tree_stops_the_start(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    tmp_path: Path,
    folder: str,
) -> None:
    # after_done: move, so a movie done would go through a done/ link too.
    daemon = daemon_factory(after_done="move", pipeline={"stages": FRAME_STAGES})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the user's own file\n")
    (daemon.inbox / folder).symlink_to(outside, target_is_directory=True)
    empty, good = (
        daemon.inbox / "movies" / "empty.mp4",
        daemon.inbox / "movies" / "good.mp4",
    )
    empty.write_bytes(b"")  # would be rejected: moved into rejected/
    shutil.copyfile(make_clip(), good)  # would be done: moved into done/
    before = snapshot(outside, [])
    daemon.start()

    try:
        code: int | None = daemon.wait(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        code = None  # it started; the fixture kills it

    said = (daemon.root / "stderr.log").read_text(encoding="utf-8", errors="replace")
    log = daemon.library / "logs" / "bunny.log"
    said += log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    problems = [f"it started (exit {code})"] if code in (None, 0) else []
    if not _names_the_link(said, daemon.inbox / folder, daemon.root):
        problems.append(f"no line names {folder}/ as a link")
    problems += [f"outside the tree: {c}" for c in changes(before, snapshot(outside, []))]
    problems += [f"moved: {path.name}" for path in (empty, good) if not path.exists()]
    if not (daemon.inbox / folder).is_symlink():
        problems.append("the user's link was replaced")
    assert not problems, "\n".join(problems)


def _names_the_link(said: str, folder: Path, root: Path) -> bool:
    """A line that names the folder and says it is a link: the reason, not a path in passing
    (the test's own folder is named after the test, which says "linked")."""
    return any(
        str(folder) in line and "link" in line.replace(str(root), "").lower()
        for line in said.splitlines()
    )
