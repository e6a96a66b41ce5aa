"""Killing a real process at a chosen system call, with strace's fault injection.

A dry run under `strace -f -y` lists the calls a command makes; each call on a path the test
cares about is a kill point: "the N-th `rename` this thread makes of this path". strace
counts calls per thread, so a point names the thread's own count, narrowed to one path with
`-P` where the call names its path (an absolute path, or a file descriptor strace resolves).
`kill_at` runs the command again with `-e inject=SYSCALL:signal=KILL:when=N` and reports
whether it died there: a command that does not repeat itself exactly may pass a point by.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

STRACE = "strace"
# Calls that change a file or the database (the WAL is written with pwrite64).
WRITING_CALLS = (
    "openat",
    "write",
    "pwrite64",
    "fsync",
    "fdatasync",
    "rename",
    "unlink",
    "unlinkat",
    "mkdir",
    "rmdir",
)
# Their path is a file descriptor (shown by -y as `3</path>`), not an argument.
FD_CALLS = frozenset({"write", "pwrite64", "fsync", "fdatasync"})
# Their path is the name after a directory descriptor.
AT_CALLS = frozenset({"openat", "unlinkat"})
LINE = re.compile(r"^(?P<tid>\d+)\s+(?P<call>\w+)\((?P<args>.*)$")
FD_ARG = re.compile(r"^(?:-?\d+|AT_FDCWD)(?:<(?P<dir>[^>]*)>)?(?:, \"(?P<name>[^\"]*)\")?")
PATH_ARG = re.compile(r"^\"(?P<path>[^\"]*)\"")


@dataclass(frozen=True)
class KillPoint:
    call: str
    path: str  # absolute
    ordinal: int  # the thread's count of this call: of this path with `by_path`, else all
    by_path: bool  # -P can pick this call out by its path
    thread: str  # the dry run's thread id: which calls were made by the same thread
    main_thread: bool

    def describe(self) -> str:
        return f"{self.call} #{self.ordinal} of {self.path}"


@functools.cache
def strace_problem() -> str | None:
    """Why strace cannot kill processes here, or None when it can."""
    if shutil.which(STRACE) is None:
        return "strace is not installed (.ci/run installs it with apt-get where it can)"
    probe = subprocess.run(
        [STRACE, "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"strace cannot trace here (ptrace refused?): {probe.stderr.decode()[-200:]}"
    return None


def trace(
    command: Sequence[str], cwd: Path, env: dict[str, str], log: Path, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run `command` under strace, its writing calls logged to `log`."""
    strace = [STRACE, "-f", "-qq", "-y", "-e", f"trace={','.join(WRITING_CALLS)}", "-o", str(log)]
    return subprocess.run(
        [*strace, *command], cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
    )


def kill_points(log: Path, wanted: Callable[[str], bool]) -> list[KillPoint]:
    """Every logged call on a path `wanted` accepts, in the order they were made."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    main = next((m["tid"] for m in map(LINE.match, lines) if m), "")
    per_call: Counter[tuple[str, str]] = Counter()
    per_path: Counter[tuple[str, str, str]] = Counter()
    points = []
    for line in lines:
        match = LINE.match(line)
        if match is None:
            continue  # a resumed call (counted where it began), a signal, an exit
        tid, call = match["tid"], match["call"]
        per_call[(tid, call)] += 1
        path, absolute = _path(call, match["args"])
        if path is None:
            continue
        per_path[(tid, call, path)] += 1
        if wanted(path):
            ordinal = per_path[(tid, call, path)] if absolute else per_call[(tid, call)]
            points.append(KillPoint(call, path, ordinal, absolute, tid, tid == main))
    return points


def _path(call: str, args: str) -> tuple[str | None, bool]:
    """The call's path, and whether -P can match it (a descriptor, or an absolute name)."""
    if call in FD_CALLS or call in AT_CALLS:
        match = FD_ARG.match(args)
        if match is None:
            return None, False
        folder, name = match["dir"], match["name"]
        if call in FD_CALLS:
            return folder, folder is not None
        if name is None:
            return None, False
        if name.startswith("/"):
            return name, True
        return (f"{folder}/{name}" if folder else None), False
    match = PATH_ARG.match(args)
    if match is None:
        return None, False
    path = match["path"]
    return path, path.startswith("/")


def every(points: list[KillPoint], count: int) -> list[KillPoint]:
    """`count` points spread evenly over the list, first and last included (one: the first)."""
    if count >= len(points):
        return list(points)
    if count <= 1:
        return points[:count]
    step = (len(points) - 1) / (count - 1)
    return [points[round(index * step)] for index in range(count)]


def kill_at(
    point: KillPoint, command: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> bool:
    """Run `command`, killed with SIGKILL at `point`; True when it died there."""
    narrowing = ["-P", point.path] if point.by_path else []
    inject = f"inject={point.call}:signal=KILL:when={point.ordinal}"
    strace = [STRACE, "-f", "-qq", "-o", "/dev/null", *narrowing, "-e", inject]
    result = subprocess.run(
        [*strace, *command], cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
    )
    # strace passes the signal on as its own exit status: 128 + 9, or -9 from Python.
    return result.returncode in (-9, 128 + 9)
