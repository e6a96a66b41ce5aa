"""CPU seconds of a running process and everything it started, and of each of its stages.

On Linux, read from /proc: the process's own time, its reaped children's, and its live
descendants' (worker processes). Elsewhere there is no such figure and None says so. The
stages are told apart by the daemon's log: a thread follows bunny.log and reads the clock at
each "stage started" and "stage done", so a figure is off by at most one poll.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
POLL_SECONDS = 0.2


def children_cpu_seconds() -> float | None:
    """CPU seconds of this process's finished children so far; None where unknown (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of `pid` and its descendants, alive or reaped; None without /proc."""
    if not (PROC / str(pid) / "stat").exists():
        return None
    parents: dict[int, list[int]] = defaultdict(list)
    ticks: dict[int, int] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # gone meanwhile
            continue
        process = int(stat.parent.name)
        parents[int(fields[1])].append(process)
        ticks[process] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        total += ticks.get(process, 0)
        pending.extend(parents.get(process, []))
    return total / os.sysconf("SC_CLK_TCK")


class StageCpu:
    """Follows a daemon's log; `seconds()` then gives each stage's CPU seconds."""

    def __init__(self, pid: int, log: Path) -> None:
        self._pid, self._log = pid, log
        self._started: dict[str, float] = {}
        self._spent: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="stage-cpu", daemon=True)

    def __enter__(self) -> StageCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def seconds(self) -> dict[str, float]:
        return dict(self._spent)

    def _follow(self) -> None:
        offset = 0
        while not self._stop.wait(POLL_SECONDS):
            if not self._log.exists():
                continue
            with self._log.open("rb") as handle:
                handle.seek(offset)
                lines = handle.read().split(b"\n")
            offset += sum(len(line) + 1 for line in lines[:-1])  # a partial last line waits
            for line in lines[:-1]:
                self._note(json.loads(line))

    def _note(self, entry: dict[str, object]) -> None:
        event, stage = entry.get("event"), entry.get("stage")
        if event not in ("stage started", "stage done") or not isinstance(stage, str):
            return
        now = tree_cpu_seconds(self._pid)
        if now is None:
            return
        if event == "stage started":
            self._started[stage] = now
        elif stage in self._started:
            self._spent[stage] = now - self._started.pop(stage)
