"""daemon/training/dataset_freeze.py: a dataset checked, pinned and recorded for one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from daemon.config import TrainingConfig
from daemon.training.dataset_freeze import (
    DatasetItem,
    DatasetRefusedError,
    check_dataset,
    freeze_dataset,
    list_sha256,
    read_frozen,
)
from daemon.training.image_sources import FrozenSource, SourceKind
from tests.daemon.training.conftest import write_dataset, write_image

LENIENT = TrainingConfig(min_image_side=16)


def test_a_clean_dataset_passes_whole(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=4)
    (tmp_path / "metadata.jsonl").write_text("{}\n")  # not an image: ignored
    check = check_dataset(tmp_path, LENIENT)
    assert check.problems == ()
    assert [item.file for item in check.items] == [f"movie_{i:02d}.jpg" for i in range(4)]
    assert check.items[1].caption == "amelie, a woman, shot 1"
    assert (check.items[1].width, check.items[1].height) == (64, 40)


def test_each_problem_is_caught_and_named(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=3)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "broken.txt").write_text("amelie")
    write_image(tmp_path / "no_caption.jpg", (48, 48), seed=10)
    write_image(tmp_path / "silent.jpg", (48, 48), seed=11)
    (tmp_path / "silent.txt").write_text("  \n")
    shutil.copy(tmp_path / "movie_00.jpg", tmp_path / "movie_00_copy.jpg")
    shutil.copy(tmp_path / "movie_00.txt", tmp_path / "movie_00_copy.txt")
    Image.open(tmp_path / "movie_01.jpg").save(tmp_path / "movie_01_again.png")
    (tmp_path / "movie_01_again.txt").write_text("amelie again")
    write_image(tmp_path / "tiny.jpg", (12, 40), seed=12)
    (tmp_path / "tiny.txt").write_text("amelie")
    write_image(tmp_path / "strip.jpg", (200, 20), seed=13)
    (tmp_path / "strip.txt").write_text("amelie")

    check = check_dataset(tmp_path, LENIENT)

    problems = {p.file: p.problem for p in check.problems}
    assert problems["broken.jpg"].startswith("unreadable image")
    assert problems["no_caption.jpg"] == "no caption (no_caption.txt is missing)"
    assert problems["silent.jpg"] == "empty caption (silent.txt)"
    assert problems["movie_00_copy.jpg"] == "duplicate of movie_00.jpg (same bytes)"
    assert problems["movie_01_again.png"] == "duplicate of movie_01.jpg (same picture)"
    assert problems["tiny.jpg"].startswith("too small: 12x40")
    assert problems["strip.jpg"].startswith("too elongated: 200x20")
    assert len(problems) == 7
    assert [item.file for item in check.items] == ["movie_00.jpg", "movie_01.jpg", "movie_02.jpg"]


def test_freeze_pins_the_images_and_records_the_list(tmp_path: Path) -> None:
    source, run = tmp_path / "dataset", tmp_path / "run"
    write_dataset(source, count=3)
    write_image(source / "no_caption.jpg", (48, 48), seed=10)

    frozen = freeze_dataset(source, run, LENIENT, min_images=3)

    assert [item.file for item in frozen.items] == ["movie_00.jpg", "movie_01.jpg", "movie_02.jpg"]
    assert [p.file for p in frozen.excluded] == ["no_caption.jpg"]
    assert frozen.list_sha256 == list_sha256(frozen.items)
    assert sorted(p.name for p in (run / "dataset").iterdir()) == [
        "movie_00.jpg",
        "movie_01.jpg",
        "movie_02.jpg",
    ]
    assert read_frozen(run) == frozen
    assert json.loads((run / "dataset.json").read_text())["items"][0]["caption"].startswith(
        "amelie"
    )
    # The dataset changes while the run trains: the run keeps what it froze.
    pinned = (run / "dataset" / "movie_00.jpg").read_bytes()
    (source / "movie_00.jpg").unlink()
    write_image(source / "new.jpg", (48, 48), seed=99).replace(source / "movie_01.jpg")
    assert (run / "dataset" / "movie_00.jpg").read_bytes() == pinned
    assert check_dataset(run / "dataset", LENIENT, captions=source).items[1] == frozen.items[1]


def test_each_image_is_recorded_with_its_source_and_older_records_still_read(
    tmp_path: Path,
) -> None:
    source, run = tmp_path / "dataset", tmp_path / "run"
    write_dataset(source, count=2)
    known = {"movie_00.jpg": FrozenSource(SourceKind.MOVIE, "0123456789ab", "00-00-01.500")}

    frozen = freeze_dataset(source, run, LENIENT, min_images=2, sources=known)

    raw = json.loads((run / "dataset.json").read_text())
    assert raw["items"][0]["source"] == {
        "kind": "movie",
        "movie": "0123456789ab",
        "frame": "00-00-01.500",
        "file": None,
        "batch": None,
    }
    assert raw["items"][1]["source"] is None, "an image the database does not know"
    assert read_frozen(run) == frozen
    assert frozen.items[0].source == known["movie_00.jpg"]
    # A dataset.json written before sources were recorded is read as it was.
    for item in raw["items"]:
        del item["source"]
    (run / "dataset.json").write_text(json.dumps(raw))
    assert [item.source for item in read_frozen(run).items] == [None, None]
    assert read_frozen(run).items[0] == DatasetItem(**raw["items"][0])


def test_too_few_usable_images_refuse_the_run(tmp_path: Path) -> None:
    source = tmp_path / "dataset"
    write_dataset(source, count=2)
    (source / "movie_01.txt").unlink()
    with pytest.raises(DatasetRefusedError) as refused:
        freeze_dataset(source, tmp_path / "run", LENIENT, min_images=2)
    assert refused.value.usable == 1
    assert "1 usable image(s), 2 needed" in str(refused.value)
    assert "movie_01.jpg: no caption" in str(refused.value)
