"""The folder a character is exported into: new or empty, hard links or copies, and never a
file overwritten."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.exports.export_folder import ExportFolder, Placement
from daemon.exports.formats import ExportRefusedError

SHM = Path("/dev/shm")


@pytest.fixture
def other_file_system(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than tmp_path, where a hard link cannot go."""
    if not SHM.is_dir() or SHM.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system (/dev/shm) on this machine")
    with tempfile.TemporaryDirectory(dir=SHM) as folder:
        yield Path(folder)


def test_a_folder_with_anything_in_it_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "Ann"
    root.mkdir()
    mine = root / "my notes.txt"
    mine.write_text("mine")
    with pytest.raises(ExportRefusedError, match="not empty"):
        ExportFolder(root)
    assert [p.name for p in root.iterdir()] == ["my notes.txt"] and mine.read_text() == "mine"
    (tmp_path / "a file").write_text("x")
    with pytest.raises(ExportRefusedError, match="not a folder"):
        ExportFolder(tmp_path / "a file")


def test_a_link_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "Ann").symlink_to(elsewhere)
    with pytest.raises(ExportRefusedError, match="not a folder"):
        ExportFolder(tmp_path / "Ann")


def test_an_empty_or_new_folder_is_taken_and_images_are_hard_linked(tmp_path: Path) -> None:
    source = tmp_path / "library" / "a.jpg"
    source.parent.mkdir()
    source.write_bytes(b"jpeg")
    (tmp_path / "empty").mkdir()
    for root in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        folder = ExportFolder(root)
        assert folder.place(source, "img/a.jpg") is Placement.LINKED
        assert (root / "img" / "a.jpg").stat().st_ino == source.stat().st_ino
    assert folder.linked == 1 and folder.copied == 0


def test_across_file_systems_the_image_is_copied(tmp_path: Path, other_file_system: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(b"jpeg bytes")
    os.utime(source, (1_000_000, 1_000_000))
    folder = ExportFolder(other_file_system / "Ann")
    assert folder.place(source, "img/a.jpg") is Placement.COPIED
    copy = other_file_system / "Ann" / "img" / "a.jpg"
    assert copy.read_bytes() == b"jpeg bytes" and copy.stat().st_mtime == 1_000_000  # copy2
    assert (folder.linked, folder.copied) == (0, 1)


def test_nothing_is_ever_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(b"jpeg")
    folder = ExportFolder(tmp_path / "Ann")
    folder.write_text("dataset.toml", "first")
    with pytest.raises(FileExistsError):
        folder.write_text("dataset.toml", "second")
    folder.place(source, "a.jpg")
    with pytest.raises(FileExistsError):
        folder.place(source, "a.jpg")
    assert (tmp_path / "Ann" / "dataset.toml").read_text() == "first"
