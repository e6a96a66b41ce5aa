"""Commands run each in a fresh interpreter, a few at a time.

For checks that depend on what a new process imports first: pytest's own process has
imported half the project by the time a test runs, so an import-order fault never shows in it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Two cores here, shared: a few at once keeps each call's own time near its time alone.
WORKERS = 3
TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Finished:
    command: tuple[str, ...]
    returncode: int | None  # None: killed at the timeout
    output: str  # stdout and stderr, interleaved

    def describe(self) -> str:
        status = "timed out" if self.returncode is None else f"exit {self.returncode}"
        shown = shlex.join(self.command).replace(sys.executable, "python")
        return f"$ {shown}  ({status})\n{self.output.rstrip()}"


def project_env() -> dict[str, str]:
    """This checkout's packages first, whatever else is installed."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PYTHONUNBUFFERED="1")


def run_one(command: Sequence[str], cwd: Path = ROOT, timeout: float = TIMEOUT_SECONDS) -> Finished:
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            env=project_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.output
        text = output.decode(errors="replace") if isinstance(output, bytes) else output or ""
        return Finished(tuple(command), None, text)
    return Finished(tuple(command), done.returncode, done.stdout)


def run_all(
    commands: Sequence[Sequence[str]], cwd: Path = ROOT, timeout: float = TIMEOUT_SECONDS
) -> list[Finished]:
    """Every command's outcome, in the order given."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda command: run_one(command, cwd, timeout), commands))
