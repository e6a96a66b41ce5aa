"""Writes that a reader never sees half-done: write a temporary file, then os.replace it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


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


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, document: Any) -> None:
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
