"""A small real file system for the tests of a full disk: tmpfs, mounted where a test wants.

Mounting needs root (as in CI's containers); elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

CHUNK = 1 << 20


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        pytest.skip("a small disk needs the mount command")
    if mounted.returncode != 0:
        pytest.skip(f"a small disk needs `mount -t tmpfs` (root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(path: Path, leave_bytes: int = 0) -> None:
    """Write `path` until the disk is full (or has only `leave_bytes` left)."""
    with path.open("wb", buffering=0) as handle:
        while True:
            free = shutil.disk_usage(path.parent).free - leave_bytes
            if free <= 0:
                return
            try:
                handle.write(b"\0" * min(CHUNK, free))
            except OSError:
                return
