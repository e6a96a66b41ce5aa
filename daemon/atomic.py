"""Writes that a reader never sees half-done: write a temporary file, then os.replace it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO

COPY_CHUNK = 1024 * 1024


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """`durable=False` skips the fsync: for files a re-run can rebuild (frame candidates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed temporary name: a write cut short by kill -9 is overwritten next time, not left
    # behind as a new stray file per attempt.
    temporary = path.with_name(f".{path.name}.tmp")
    # Removed and created anew ("x" never follows a link): a link planted under that name
    # in a folder others can write (inbox/rejected) cannot send the bytes elsewhere.
    temporary.unlink(missing_ok=True)
    with temporary.open("xb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    temporary.replace(path)


def copy_file_atomic(source: BinaryIO, target: Path, max_bytes: int) -> None:
    """Copy an open file from where it stands, in chunks, never the whole file in memory;
    ValueError when it holds more than `max_bytes` (it grew after its size was checked),
    and then no copy is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with temporary.open("xb") as writer:
            shutil.copyfileobj(_Capped(source, max_bytes), writer, COPY_CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
    except ValueError:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(target)


class _Capped:
    """A reader that refuses to read past `limit` bytes."""

    def __init__(self, reader: BinaryIO, limit: int) -> None:
        self._reader, self._limit, self._read = reader, limit, 0

    def read(self, size: int = COPY_CHUNK) -> bytes:
        chunk = self._reader.read(min(size, self._limit - self._read + 1))
        self._read += len(chunk)
        if self._read > self._limit:
            raise ValueError(f"the file grew past {self._limit} bytes while it was copied")
        return chunk


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, document: Any) -> None:
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
