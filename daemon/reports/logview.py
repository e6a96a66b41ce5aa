"""`bunny logs`: the JSON log file, pretty-printed, filtered, and followed across rotation."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from daemon.display_text import bounded, escaped

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
FIRST_FIELDS = ("timestamp", "level", "event", "movie", "stage", "job")
FOLLOW_POLL_SECONDS = 0.25
MULTILINE_FIELDS = ("exception", "stack")  # tracebacks: printed as the lines they are
FIELD_LIMIT = 10_000  # older logs hold unbounded lines (a 351 MB config value)


@dataclass(frozen=True)
class LogFilter:
    movie: str | None = None
    stage: str | None = None
    level: str = "debug"

    def accepts(self, entry: dict[str, Any]) -> bool:
        if LEVELS.get(str(entry.get("level", "info")), 20) < LEVELS[self.level]:
            return False
        if self.movie and not str(entry.get("movie") or "").startswith(self.movie):
            return False
        return not (self.stage and entry.get("stage") != self.stage)


def format_entry(entry: dict[str, Any]) -> str:
    """One line (a traceback adds its own); every value's control characters, ESC, CR and
    bidi overrides escaped, so a logged file name cannot drive the terminal."""
    stamp = _field(entry.get("timestamp", ""))[:19].replace("T", " ")
    level = _field(entry.get("level", "?")).upper()
    head = f"{stamp} {level:<7} {_field(entry.get('event', ''))}"
    context = " ".join(
        f"{k}={_field(entry[k])}" for k in ("movie", "stage", "job") if entry.get(k) is not None
    )
    rest = " ".join(
        f"{_field(k)}={_field(v, k)}"
        for k, v in entry.items()
        if k not in FIRST_FIELDS and k != "logger"
    )
    return " ".join(part for part in (head, f"[{context}]" if context else "", rest) if part)


def _field(value: Any, key: str = "") -> str:
    keep = "\n" if key in MULTILINE_FIELDS else ""
    return escaped(bounded(str(value), FIELD_LIMIT), keep)


def _parse(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None


def show_log(
    path: Path, wanted: LogFilter, follow: bool, lines: int, out: TextIO = sys.stdout
) -> int:
    if not path.exists() and not follow:
        print(f"no log yet at {path}", file=sys.stderr)
        return 1
    history: deque[str] = deque(maxlen=max(0, lines))
    position = 0
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as handle:
            for raw in handle:
                entry = _parse(raw)
                if entry and wanted.accepts(entry):
                    history.append(format_entry(entry))
            position = handle.tell()
    for text in history:
        print(text, file=out, flush=True)
    if follow:
        for entry in _follow(path, position):
            if wanted.accepts(entry):
                print(format_entry(entry), file=out, flush=True)
    return 0


def _follow(path: Path, position: int) -> Iterator[dict[str, Any]]:
    """New entries as they are written; reopens the file when it is rotated away."""
    inode = path.stat().st_ino if path.exists() else None
    pending = ""
    while True:
        try:
            stat = path.stat()
        except FileNotFoundError:
            time.sleep(FOLLOW_POLL_SECONDS)
            continue
        if stat.st_ino != inode or stat.st_size < position:
            inode, position, pending = stat.st_ino, 0, ""
        if stat.st_size > position:
            with path.open(encoding="utf-8", errors="replace") as handle:
                handle.seek(position)
                pending += handle.read()
                position = handle.tell()
            *complete, pending = pending.split("\n")
            for raw in complete:
                entry = _parse(raw)
                if entry:
                    yield entry
        else:
            time.sleep(FOLLOW_POLL_SECONDS)


def last_error(path: Path, tail_bytes: int = 512 * 1024) -> dict[str, Any] | None:
    """The newest error-level entry of the log, looking at the current file, then the last
    rotated one; only their last `tail_bytes` are read."""
    for file in (path, path.with_name(path.name + ".1")):
        try:
            with file.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - tail_bytes))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        for line in reversed(text.splitlines()):
            entry = _parse(line)
            if entry and LEVELS.get(str(entry.get("level")), 20) >= LEVELS["error"]:
                return entry
    return None
