"""The peak resident memory of a command run as a fresh process.

Imports nothing heavy, so the measured children of a benchmark that imports this stay as
light as the benchmark wants them.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Linux carries the spawning process's peak RSS over exec into the child's ru_maxrss, so the
# measured children are started by a bare interpreter rather than by the larger benchmark.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def fresh_process_peak(command: list[str]) -> tuple[float, float]:
    """Peak RSS in MiB (the line `peak_rss_kib N` the child prints) and wall seconds of
    `command` run as a fresh process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    for line in result.stdout.splitlines():
        if line.startswith("peak_rss_kib "):
            return int(line.split()[1]) / 1024, seconds
    raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stdout}{result.stderr}")
