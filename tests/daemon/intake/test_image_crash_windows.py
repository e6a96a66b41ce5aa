"""A part of an image batch killed at every move of its images, then run again: each image
ends once, where it belongs (set aside with its reason, or done), and the database says
where. The moves are recorded before they are made (daemon/intake/image_parts.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.store import ImageRow, ImageState
from tests.daemon.test_crash_windows import Bench, Tally, opened, under
from tests.syscall_kills import KillPoint, strace_problem

pytestmark = [
    pytest.mark.skipif(strace_problem() is not None, reason=strace_problem() or "strace works"),
    pytest.mark.slow,
]

FRAME_STAGES = ["probe", "shots", "frames", "quality"]


def drop_batch(folder: Path) -> dict[str, str]:
    """Two photos and a text file named like one; returns each file's sha256 by name."""
    folder.mkdir(parents=True)
    for number in range(2):
        pixels = np.random.default_rng(number).integers(0, 255, (64, 96, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"photo {number}.jpg", quality=90)
    (folder / "notes.jpg").write_text("not a photo\n", encoding="utf-8")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def files_by_sha(root: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.name.endswith(".reason.txt"):
            found.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(path)
    return found


def moves_and_records(points: list[KillPoint], inbox: Path) -> list[KillPoint]:
    """Each rename of a file of the inbox (an image moved, a reason file put in place) and
    the first database write its thread makes after it (the move recorded)."""
    chosen: list[KillPoint] = []
    for index, point in enumerate(points):
        if point.call == "rename" and under(inbox)(point):
            chosen.append(point)
            after = (p for p in points[index + 1 :] if p.thread == point.thread)
            record = next((p for p in after if p.path.endswith("-wal")), None)
            if record is not None:
                chosen.append(record)
    return chosen


def test_an_image_part_killed_at_any_move_ends_with_each_image_once_where_it_belongs(
    tmp_path: Path,
) -> None:
    bench = Bench(tmp_path, after_done="move", pipeline={"stages": FRAME_STAGES})
    shas = drop_batch(bench.inbox / "images" / "trip" / "day 1")
    bench.save()
    database = str(bench.library / "bunny.db")
    points = bench.points(
        "run",
        "--once",
        wanted=lambda p: under(bench.inbox)(p) or p.path.startswith(database),
    )
    chosen = moves_and_records(points, bench.inbox)
    renamed = {Path(p.path).name for p in chosen if p.call == "rename"}
    assert {"photo 0.jpg", "photo 1.jpg", "notes.jpg"} <= renamed, sorted(renamed)
    tally = Tally(f"image part ({len(points)} calls on the inbox and the database)")
    for point in chosen:
        tally.add(bench.kill(point, "run", "--once"))
        where = f"killed at {point.describe()}"
        again = bench.run("run", "--once")
        assert again.returncode == 0, f"{where}: {again.stderr[-2000:]}"
        placed = files_by_sha(bench.inbox)
        for name, sha in shas.items():
            assert len(placed.get(sha, [])) == 1, f"{where}: {name} is at {placed.get(sha)}"
        rejected = bench.inbox / "rejected" / "images" / "trip" / "day 1"
        done = bench.inbox / "done" / "images" / "trip" / "day 1"
        assert placed[shas["notes.jpg"]] == [rejected / "notes.jpg"], where
        assert "not an image" in (rejected / "notes.jpg.reason.txt").read_text("utf-8"), where
        for number in range(2):
            name = f"photo {number}.jpg"
            assert placed[shas[name]] == [done / name], where
        with opened(bench.library):
            rows = list(ImageRow.select())
        assert sorted(ImageState(r.state) for r in rows) == [
            ImageState.DONE, ImageState.DONE, ImageState.REJECTED
        ], where  # fmt: skip
        assert all(Path(r.path).is_file() and r.moving_to is None for r in rows), where
    tally.report()
    assert tally.killed >= tally.tried // 2, "most points should kill the daemon"
