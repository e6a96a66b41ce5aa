"""Evidence gathered around a run: what lies outside the inbox and the library (it must not
change), reason files and log lines (they must stay small), the log's error lines."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.hostile.outcomes import fingerprint

# "A few KB": a reason or a log line longer than this carries something it should not.
MAX_REASON_BYTES = 8 * 1024
MAX_LOG_LINE_BYTES = 8 * 1024
ERROR_LEVELS = frozenset({"error", "critical", "exception"})


def snapshot(
    root: Path, skip: Iterable[Path], temp: Path | None = None
) -> dict[str, tuple[object, ...]]:
    """Every entry under `root` but `skip`: type, size, mtime, mode, owner, links, content.

    `temp` is the daemon's TMPDIR: what lies in it counts, but not its own mtime. Any
    process that imports torch has dill ask tempfile for the temp folder, which Python
    checks by creating and deleting a file in it; a file left there still shows.
    """
    skipped = {Path(p) for p in skip}
    entries: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if Path(folder) / d not in skipped]
        for name in (*dirs, *files):
            path = Path(folder) / name
            if path in skipped:
                continue
            info = path.lstat()
            content: object = None
            if path.is_symlink():
                content = str(path.readlink())
            elif stat.S_ISREG(info.st_mode):
                content = fingerprint(path)
            entries[os.fsencode(path.relative_to(root)).decode("utf-8", "backslashreplace")] = (
                stat.S_IFMT(info.st_mode),
                info.st_size,
                None if path == temp else info.st_mtime_ns,
                stat.S_IMODE(info.st_mode),
                info.st_uid,
                info.st_nlink,
                content,
            )
    return entries


def changes(
    before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]
) -> list[str]:
    found = [f"removed: {p}" for p in sorted(before.keys() - after.keys())]
    found += [f"added: {p}" for p in sorted(after.keys() - before.keys())]
    found += [
        f"changed: {p} ({before[p]} -> {after[p]})"
        for p in sorted(before.keys() & after.keys())
        if before[p] != after[p]
    ]
    return found


def oversized_reasons(rejected: Path) -> list[str]:
    if not rejected.is_dir():
        return []
    return [
        f"{path.name!r}: {path.lstat().st_size} bytes"
        for path in rejected.iterdir()
        if path.name.endswith(".reason.txt") and path.lstat().st_size > MAX_REASON_BYTES
    ]


@dataclass(frozen=True)
class LogReading:
    entries: list[dict[str, Any]]
    problems: list[str]  # lines too long, or not a JSON object


def read_log(folder: Path) -> LogReading:
    """All of the daemon's log files, oldest first."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in sorted(folder.glob("bunny.log*"), reverse=True):
        for number, raw in enumerate(path.read_bytes().splitlines(), 1):
            where = f"{path.name}:{number}"
            if len(raw) > MAX_LOG_LINE_BYTES:
                problems.append(f"{where}: a line of {len(raw)} bytes: {raw[:160]!r}")
            try:
                entry = json.loads(raw)
            except ValueError:
                problems.append(f"{where}: not JSON: {raw[:160]!r}")
                continue
            if isinstance(entry, dict):
                entries.append(entry)
    return LogReading(entries, problems)


def error_lines(entries: list[dict[str, Any]]) -> list[str]:
    return [
        f"{entry.get('event')}: {str(entry.get('error') or entry.get('file') or '')[:200]}"
        for entry in entries
        if str(entry.get("level", "")).lower() in ERROR_LEVELS
    ]


def mentions(entries: list[dict[str, Any]], name: str, levels: frozenset[str]) -> bool:
    """Whether a line at one of `levels` names `name` anywhere in it."""
    return any(
        str(entry.get("level", "")).lower() in levels and name in json.dumps(entry)
        for entry in entries
    )


def read_log_after(path: Path, offset: int) -> list[dict[str, Any]]:
    """The lines written to `path` after it was `offset` bytes long."""
    if not path.exists():
        return []
    with path.open("rb") as handle:
        handle.seek(offset if path.stat().st_size >= offset else 0)
        lines = handle.read().splitlines()
    entries = []
    for raw in lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries
