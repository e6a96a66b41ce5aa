"""daemon/atomic.py: an open file copied in chunks, refused whole when it outgrows its cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.atomic import copy_file_atomic


def test_a_copy_is_the_same_bytes(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # chunks and a partial last one
    target = tmp_path / "library" / "copy.jpg"
    with source.open("rb") as reader:
        copy_file_atomic(reader, target, max_bytes=4 * 1024 * 1024)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.jpg"]


def test_a_source_over_the_limit_leaves_no_copy(tmp_path: Path) -> None:
    source = tmp_path / "grown.jpg"
    source.write_bytes(b"x" * 1000)
    os.truncate(source, 5 * 1024**3)  # grew after its size was checked: a sparse tail
    target = tmp_path / "library" / "copy.jpg"
    with source.open("rb") as reader, pytest.raises(ValueError, match="grew past 2000 bytes"):
        copy_file_atomic(reader, target, max_bytes=2000)
    assert list(target.parent.iterdir()) == []
    assert source.stat().st_size == 5 * 1024**3, "the user's file is untouched"
