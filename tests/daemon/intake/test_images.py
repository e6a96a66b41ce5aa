"""Taking still images from inbox/images/: batches, duplicates, and what is set aside."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.intake.image_batches import BatchSettings, ImageBatcher
from daemon.intake.images import ImageIntake, batch_of
from daemon.intake.inbox import InboxLayout
from daemon.intake.movies import IntakeSettings
from daemon.repository import Repository
from daemon.store import ImageState, MovieState, SourceKind, utcnow


@pytest.fixture
def layout(tmp_path: Path) -> InboxLayout:
    inbox = InboxLayout(tmp_path / "inbox")
    inbox.create()
    return inbox


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "bunny.db")
    yield repository
    repository.close()


def photo(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def intake(repo: Repository, layout: InboxLayout) -> ImageIntake:
    return ImageIntake(repo, IntakeSettings(layout, follow_symlinks=True), threading.Event())


def test_the_batch_is_the_folder_dropped_into_images_at_any_depth(layout: InboxLayout) -> None:
    root = layout.images
    assert batch_of(root / "holiday" / "day 1" / "deep" / "a.jpg", root) == "holiday"
    assert batch_of(root / "holiday" / "a.jpg", root) == "holiday"
    assert batch_of(root / "loose.jpg", root) == ""


def test_an_image_waits_for_its_part_and_a_byte_identical_copy_is_a_duplicate(
    repo: Repository, layout: InboxLayout
) -> None:
    first = photo(layout.images / "trip" / "a.jpg", 1)
    copy = layout.images / "trip" / "nested" / "copy of a.jpg"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    taker = intake(repo, layout)
    taker.take(first)
    taker.take(copy)

    original, duplicate = repo.image_at(first), repo.image_at(copy)
    assert original is not None and original.state is ImageState.WAITING
    assert original.batch == "trip"
    assert duplicate is not None and duplicate.state is ImageState.DUPLICATE
    assert duplicate.reason == f"byte-identical to {first}"
    assert copy.exists(), "a duplicate stays where it was dropped"


def test_an_image_seen_again_unchanged_is_not_taken_twice(
    repo: Repository, layout: InboxLayout
) -> None:
    image = photo(layout.images / "trip" / "a.jpg", 1)
    taker = intake(repo, layout)
    taker.take(image)
    repo.form_part("trip", layout.images / "trip", 10)
    taker.take(image)  # a rescan offers it again
    record = repo.image_at(image)
    assert record is not None and record.state is ImageState.BATCHED
    assert repo.count_waiting_images() == 0


def test_a_symlink_loop_and_a_link_to_a_folder_are_set_aside_with_their_reasons(
    repo: Repository, layout: InboxLayout
) -> None:
    batch = layout.images / "dropped"
    batch.mkdir()
    loop = batch / "loop.jpg"
    loop.symlink_to(loop.name)  # a link to itself
    up = batch / "up"
    up.symlink_to("..", target_is_directory=True)  # would walk back into the inbox
    taker = intake(repo, layout)
    taker.take(loop)
    taker.take(up)

    rejected = layout.rejected / "images" / "dropped"
    assert (rejected / "loop.jpg").is_symlink(), "the link is moved as it is"
    loop_reason = (rejected / "loop.jpg.reason.txt").read_text(encoding="utf-8")
    assert "symbolic links" in loop_reason
    up_reason = (rejected / "up.reason.txt").read_text(encoding="utf-8")
    assert "a link to a folder" in up_reason
    assert (rejected / "up").readlink() == layout.images.resolve(), "still its target"
    assert repo.count_waiting_images() == 0


def test_a_copy_of_a_rejected_image_is_set_aside_for_the_same_reason(
    repo: Repository, layout: InboxLayout
) -> None:
    image = photo(layout.images / "a" / "bad.jpg", 3)
    taker = intake(repo, layout)
    taker.take(image)
    record = repo.image_at(image)
    assert record is not None
    repo.settle_image(record.id, ImageState.REJECTED, image, "too small: 1x1 pixels")
    again = layout.images / "b" / "again.jpg"
    again.parent.mkdir()
    again.write_bytes(image.read_bytes())
    taker.take(again)
    reason = (layout.rejected / "images" / "b" / "again.jpg.reason.txt").read_text("utf-8")
    assert "rejected earlier: too small: 1x1 pixels" in reason


def batcher(
    repo: Repository, layout: InboxLayout, pending: list[Path], part_size: int = 3
) -> ImageBatcher:
    settings = BatchSettings(layout.images, part_size, quiet_seconds=0.0)
    return ImageBatcher(repo, settings, lambda: pending, lambda: None)


def test_a_batch_becomes_parts_of_at_most_part_size_images_queued_like_movies(
    repo: Repository, layout: InboxLayout
) -> None:
    taker = intake(repo, layout)
    for number in range(7):
        taker.take(photo(layout.images / "big" / f"{number}.jpg", number))
    assert batcher(repo, layout, []).form() == 3

    parts = [m for m in repo.movies() if m.kind is SourceKind.IMAGES]
    assert [p.name for p in parts] == ["big (images 1-3)", "big (images 4-6)", "big (images 7-7)"]
    assert all(p.state is MovieState.QUEUED for p in parts)
    assert all(p.path == layout.images / "big" for p in parts)
    frames = [[i.frame for i in repo.part_images(p.id)] for p in parts]
    assert frames == [
        ["00-00-00.000", "00-00-01.000", "00-00-02.000"],
        ["00-00-00.000", "00-00-01.000", "00-00-02.000"],
        ["00-00-00.000"],
    ]
    assert len({p.sha256 for p in parts}) == 3


def test_a_batch_still_arriving_waits_and_other_batches_go_on(
    repo: Repository, layout: InboxLayout
) -> None:
    taker = intake(repo, layout)
    taker.take(photo(layout.images / "copying" / "1.jpg", 1))
    taker.take(photo(layout.images / "complete" / "1.jpg", 2))
    still_settling = [layout.images / "copying" / "deep" / "2.jpg"]
    assert batcher(repo, layout, still_settling).form() == 1
    assert [b.batch for b in repo.waiting_batches()] == ["copying"]
    assert batcher(repo, layout, []).form() == 1
    assert repo.waiting_batches() == []


def test_a_batch_waits_a_quiet_period_after_its_last_image(
    repo: Repository, layout: InboxLayout
) -> None:
    intake(repo, layout).take(photo(layout.images / "new" / "1.jpg", 1))
    settings = BatchSettings(layout.images, 10, quiet_seconds=3600)
    assert ImageBatcher(repo, settings, lambda: [], lambda: None).form() == 0
    waiting = repo.waiting_batches()
    assert len(waiting) == 1 and (utcnow() - waiting[0].last_settled_at).total_seconds() < 60
