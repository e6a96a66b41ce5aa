"""The image inbox as a hostile user and a long-running daemon meet it, through a real daemon:
odd names, folders moved in whole or renamed mid-part, slow copies, a stop mid-part."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.store import ImageRow, ImageState, Movie, MovieState, SourceKind
from handlers.image_probe import FILE_REPLACED
from tests.conftest import DaemonProcess, wait_for

FRAME_STAGES = ["probe", "shots", "frames", "quality"]  # no face worker: seconds, not tens


def photo(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def bunny(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "daemon.commands.cli", *args, "--config", str(daemon.config)]
    return subprocess.run(command, capture_output=True, check=False, cwd=daemon.root, timeout=60)


def parts(daemon: DaemonProcess) -> list[tuple[str, MovieState]]:
    repo = daemon.repository()
    try:
        rows = Movie.select().where(Movie.kind == SourceKind.IMAGES.value).order_by(Movie.id)
        return [(row.name, MovieState(row.state)) for row in rows]
    finally:
        repo.close()


def image_states(daemon: DaemonProcess) -> dict[str, ImageState]:
    repo = daemon.repository()
    try:
        return {Path(row.path).name: ImageState(row.state) for row in ImageRow.select()}
    finally:
        repo.close()


def test_odd_names_of_batches_and_images_end_done_or_aside_under_their_own_names(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES}, after_done="move")
    images = daemon.inbox / "images"
    not_utf8 = os.fsdecode(b"latin \xe9\xff")  # a folder from an old Samba share
    batches = [not_utf8, "caf\u00e9 \u202e\U0001f600", "ctl\x1b[31mred", "L" * 250]
    bad_name = os.fsdecode(b"bad\x1b[2J\xfe\x07" + b"N" * 230 + b".jpg")
    for number, batch in enumerate(batches):
        photo(images / batch / "good.jpg", number)
        (images / batch / bad_name).write_text(f"not a photo {number}\n", encoding="utf-8")
        (images / batch / "sub").mkdir()
        (images / batch / "sub" / "bad.jpg").write_text(f"nor this {number}\n", encoding="utf-8")

    result = daemon.run_once(timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]

    assert [state for _, state in parts(daemon)] == [MovieState.DONE] * len(batches)
    for batch in batches:
        assert (daemon.inbox / "done" / "images" / batch / "good.jpg").is_file(), batch
        rejected = daemon.inbox / "rejected" / "images" / batch
        aside = sorted(p.name for p in rejected.rglob("*") if p.is_file())
        assert len(aside) == 4, (batch, aside)  # the two files and their reasons
        reasons = [p.read_bytes().decode("utf-8") for p in rejected.rglob("*.reason.txt")]
        assert len(reasons) == 2 and not any("\x1b" in text for text in reasons), reasons
        assert any("file: bad\\x1b[2J\\xfe\\x07NNN" in text for text in reasons), reasons
        assert (rejected / "sub" / "bad.jpg").is_file(), batch
        assert not any(p.is_file() for p in (images / batch).rglob("*")), batch

    status = bunny(daemon, "status")
    assert b"\x1b" not in status.stdout and b"\\x1b" in status.stdout
    lines = bunny(daemon, "status", "--json").stdout
    listed = {b["batch"]: b for b in json.loads(lines)["image_batches"]}
    assert len(listed) == len(batches)
    assert all((b["done"], b["rejected"]) == (1, 2) for b in listed.values()), listed


def settled(daemon: DaemonProcess) -> bool:
    """Every image done, set aside or a duplicate, and every part finished."""
    repo = daemon.repository()
    try:
        busy = (ImageState.WAITING.value, ImageState.BATCHED.value)
        images = ImageRow.select().count()
        unsettled = ImageRow.select().where(ImageRow.state.in_(busy)).count()
        running = Movie.select().where(Movie.state.not_in(["done", "rejected", "failed"])).count()
        return images > 0 and unsettled == 0 and running == 0
    finally:
        repo.close()


def part_running(daemon: DaemonProcess, stage: str) -> bool:
    repo = daemon.repository()
    try:
        return Movie.select().where(Movie.state == "running", Movie.stage == stage).exists()
    finally:
        repo.close()


@pytest.mark.parametrize(
    ("quiet", "delay"),
    [(1.0, 3.0), (3.0, 1.0)],
    ids=["followed-before-probe-ends", "followed-after-probe-ends"],
)
def test_a_batch_folder_renamed_while_its_part_reads_it_is_read_in_the_next_part(
    daemon_factory: Callable[..., DaemonProcess], quiet: float, delay: float
) -> None:
    daemon = daemon_factory(
        pipeline={"stages": ["probe", "shots"], "stage_delay_seconds": delay},
        watcher={"quiet_seconds": quiet},
        after_done="move",
    )
    trip = daemon.inbox / "images" / "trip"
    for number in range(3):
        photo(trip / f"photo {number}.jpg", number)
    daemon.start()
    wait_for(lambda: part_running(daemon, "probe"), timeout=60)
    (trip / "photo 0.jpg").unlink()  # deleted by the user: reported gone, the others go on
    trip.rename(trip.with_name("trip renamed"))
    images = daemon.inbox / "images"
    # With `after_done: move` every photo leaves the inbox, done or set aside.
    wait_for(lambda: settled(daemon) and not any(images.rglob("*.jpg")), timeout=60)

    assert image_states(daemon) == {
        "photo 0.jpg": ImageState.REJECTED,
        "photo 1.jpg": ImageState.DONE,
        "photo 2.jpg": ImageState.DONE,
    }
    assert [state for _, state in parts(daemon)] == [MovieState.DONE, MovieState.DONE]
    done = daemon.inbox / "done" / "images"
    assert sorted(p.name for p in done.rglob("*.jpg")) == ["photo 1.jpg", "photo 2.jpg"]
    assert not (daemon.inbox / "rejected").exists() or not any(
        (daemon.inbox / "rejected").rglob("*.jpg")
    ), "a photo moved by its user is no reject"


def test_a_folder_moved_in_whole_a_slow_copy_and_later_additions_make_whole_parts(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES})
    images = daemon.inbox / "images"
    outside = daemon.root / "prepared" / "moved"
    for number in range(3):
        photo(outside / "deep" / f"photo {number}.jpg", number)
    daemon.start()
    wait_for(lambda: (daemon.library / "bunny.db").exists() and images.is_dir())
    outside.rename(images / "moved")  # one folder event for three files
    slow = images / "slow"
    slow.mkdir()
    for number in range(8):  # a copy that takes 8 s, one file a second
        photo(slow / f"photo {number}.jpg", 10 + number)
        time.sleep(1.0)
    wait_for(lambda: settled(daemon) and len(parts(daemon)) == 2, timeout=60)
    assert sorted(parts(daemon)) == [
        ("moved (images 1-3)", MovieState.DONE),
        ("slow (images 1-8)", MovieState.DONE),
    ]

    for number in range(8, 10):  # added once the batch is done: its next part
        photo(slow / f"photo {number}.jpg", 10 + number)
    wait_for(lambda: settled(daemon) and len(parts(daemon)) == 3, timeout=60)
    assert parts(daemon)[-1] == ("slow (images 9-10)", MovieState.DONE)
    repo = daemon.repository()
    try:
        assert [ImageState(row.state) for row in ImageRow.select()] == [ImageState.DONE] * 13
    finally:
        repo.close()


@pytest.mark.parametrize("after_done", ["move", "keep"])
def test_sigterm_mid_part_then_a_restart_reads_and_moves_each_image_once(
    daemon_factory: Callable[..., DaemonProcess], after_done: str
) -> None:
    daemon = daemon_factory(
        pipeline={"stages": FRAME_STAGES, "stage_delay_seconds": 3}, after_done=after_done
    )
    trip = daemon.inbox / "images" / "trip"
    for number in range(3):
        photo(trip / f"photo {number}.jpg", number)
    (trip / "notes.jpg").write_text("not a photo\n", encoding="utf-8")
    daemon.start()
    wait_for(lambda: part_running(daemon, "shots"), timeout=60)  # probe done, notes set aside

    report = json.loads(bunny(daemon, "status", "--json").stdout)
    (batch,) = report["image_batches"]
    assert (batch["batch"], batch["images"], batch["in_parts"], batch["rejected"]) == (
        "trip", 4, 3, 1
    )  # fmt: skip
    (part,) = [m for m in report["movies"] if m["name"] == "trip (images 1-4)"]
    # Mid-part: `bunny status` itself takes seconds on a loaded machine, so a later stage too.
    assert part["state"] == "running" and part["stage"] in FRAME_STAGES[1:], part

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0
    assert parts(daemon) == [("trip (images 1-4)", MovieState.QUEUED)]
    result = daemon.run_once(timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]

    assert parts(daemon) == [("trip (images 1-4)", MovieState.DONE)]
    repo = daemon.repository()
    try:
        (movie,) = repo.movies()
        names = [frame.name for frame in repo.frames(movie.id)]
        assert len(names) == len(set(names)) == 3, names  # each photo once, no frame twice
    finally:
        repo.close()
    assert sorted(image_states(daemon).values()) == [ImageState.DONE] * 3 + [ImageState.REJECTED]
    where = daemon.inbox / "done" / "images" / "trip" if after_done == "move" else trip
    assert sorted(p.name for p in where.glob("*.jpg")) == [f"photo {n}.jpg" for n in range(3)]
    aside = sorted(p.name for p in (daemon.inbox / "rejected").rglob("*") if p.is_file())
    assert aside == ["notes.jpg", "notes.jpg.reason.txt"]
    rejected_lines = [e for e in daemon.log_entries() if e["event"] == "image rejected"]
    assert len(rejected_lines) == 1, "set aside once, not again at the restart"


def test_a_photo_in_two_batches_a_folder_dropped_twice_and_an_all_bad_batch(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES}, after_done="keep")
    images = daemon.inbox / "images"
    first = [photo(daemon.root / "camera" / f"photo {n}.jpg", n) for n in range(2)]
    shutil.copytree(daemon.root / "camera", images / "trip")
    assert daemon.run_once(timeout=120).returncode == 0

    for source in first:  # the same folder copied again over itself: new mtimes, same bytes
        shutil.copyfile(source, images / "trip" / source.name)
    (images / "again").mkdir()
    shutil.copyfile(first[0], images / "again" / "same photo.jpg")
    photo(images / "again" / "new photo.jpg", 7)
    (images / "junk").mkdir()
    for number in range(2):
        (images / "junk" / f"bad {number}.jpg").write_text(f"no {number}\n", encoding="utf-8")
    result = daemon.run_once(timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]

    assert sorted(parts(daemon)) == [
        ("again (images 1-1)", MovieState.DONE),
        ("junk (images 1-2)", MovieState.DONE),  # nothing usable in it: done, its files aside
        ("trip (images 1-2)", MovieState.DONE),
    ]
    assert image_states(daemon) == {
        "photo 0.jpg": ImageState.DONE,
        "photo 1.jpg": ImageState.DONE,
        "same photo.jpg": ImageState.DUPLICATE,
        "new photo.jpg": ImageState.DONE,
        "bad 0.jpg": ImageState.REJECTED,
        "bad 1.jpg": ImageState.REJECTED,
    }


def test_bunny_retry_requeues_a_part_that_failed_and_it_ends_as_a_movie_does(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(
        pipeline={"stages": FRAME_STAGES, "retry_backoff_seconds": [0.2]}, after_done="move"
    )
    trip = daemon.inbox / "images" / "trip"
    for number in range(2):
        photo(trip / f"photo {number}.jpg", number)
    (trip / "notes.jpg").write_text("not a photo\n", encoding="utf-8")
    daemon.library.mkdir(parents=True)
    (daemon.library / "movies").write_text("a file where the parts' folders go\n")
    assert daemon.run_once(timeout=60).returncode == 1
    assert parts(daemon) == [("trip (images 1-3)", MovieState.WAITING)]

    (daemon.library / "movies").unlink()
    retried = bunny(daemon, "retry")
    assert retried.returncode == 0 and b"trip (images 1-3)" in retried.stdout
    assert daemon.run_once(timeout=60).returncode == 0
    assert parts(daemon) == [("trip (images 1-3)", MovieState.DONE)]
    assert sorted(p.relative_to(daemon.inbox).as_posix() for p in daemon.inbox.rglob("*.jpg")) == [
        "done/images/trip/photo 0.jpg",
        "done/images/trip/photo 1.jpg",
        "rejected/images/trip/notes.jpg",
    ]


def test_a_batch_copied_under_temporary_names_slower_than_the_quiet_period_is_one_part(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    # rsync and many share clients write each file under a dot-name, then rename it: between
    # two renames nothing of the batch is in the settle gate.
    daemon = daemon_factory(pipeline={"stages": FRAME_STAGES})
    made = [photo(daemon.root / "camera" / f"photo {n}.jpg", n).read_bytes() for n in range(4)]
    slow = daemon.inbox / "images" / "slow"
    slow.mkdir(parents=True)
    daemon.start()
    for number, data in enumerate(made):
        partial = slow / f".photo {number}.jpg.Xa3k"
        with partial.open("wb") as out:
            for start in range(0, len(data), len(data) // 5 + 1):  # 2.5 s a file
                out.write(data[start : start + len(data) // 5 + 1])
                out.flush()
                time.sleep(0.5)
        partial.rename(slow / f"photo {number}.jpg")
    wait_for(lambda: settled(daemon) and len(image_states(daemon)) == len(made), timeout=60)
    assert parts(daemon) == [("slow (images 1-4)", MovieState.DONE)]


def test_a_photo_replaced_mid_part_or_edited_after_keeps_each_version_and_its_lineage(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory(
        pipeline={"stages": FRAME_STAGES, "stage_delay_seconds": 2.0},
        watcher={"quiet_seconds": 0.5},
    )
    trip = daemon.inbox / "images" / "trip"
    first = photo(trip / "p1.jpg", 1)
    photo(trip / "p2.jpg", 2)
    daemon.start()
    wait_for(lambda: part_running(daemon, "probe"), timeout=60)
    photo(first, 11)  # replaced by the user while its part waits to read it
    wait_for(lambda: settled(daemon) and len(parts(daemon)) == 2, timeout=60)
    photo(first, 12)  # edited again, in place, after it was processed
    wait_for(lambda: settled(daemon) and len(parts(daemon)) == 3, timeout=60)

    repo = daemon.repository()
    try:
        rows = list(ImageRow.select().where(ImageRow.path == str(first)).order_by(ImageRow.id))
        states = [(ImageState(row.state), row.reason) for row in rows]
        kept = {row.sha256 for row in rows if row.state == ImageState.DONE.value}
        frames = [f for m in repo.movies() for f in repo.frames(m.id)]
    finally:
        repo.close()
    assert states[0] == (ImageState.REJECTED, FILE_REPLACED), "the first version was never read"
    assert [s for s, _ in states[1:]] == [ImageState.DONE, ImageState.DONE], states
    assert len(kept) == 2, "the second and third versions, each with its own bytes"
    assert all(f.verdict == "kept" for f in frames), [f.reason for f in frames]
    assert len(frames) == 3, "p2, then each later version of p1 once: nothing read twice"
