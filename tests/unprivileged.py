"""The real daemon run as user nobody, as the systemd unit runs it under its own user.

The tests run as root, who may read anything; permission problems only show under another
user. The daemon's tree lives in a folder of /tmp owned by nobody (pytest's own temporary
folders are closed to other users), and the process is started through setpriv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DaemonProcess

NOBODY = 65534
SETPRIV = shutil.which("setpriv")
needs_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or SETPRIV is None,
    reason="runs the daemon as user nobody: needs root and setpriv (util-linux)",
)


class NobodyDaemon(DaemonProcess):
    """`bunny run` as user nobody; give the tree to nobody (`hand_over`) before `start`."""

    def hand_over(self) -> None:
        for folder, dirs, files in os.walk(self.root):
            for path in [Path(folder), *(Path(folder) / name for name in dirs + files)]:
                os.chown(path, NOBODY, NOBODY, follow_symlinks=False)

    def start(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        assert SETPRIV is not None
        environment = dict(os.environ, PYTHONUNBUFFERED="1", HOME=str(self.root), **(env or {}))
        self.process = subprocess.Popen(
            [
                SETPRIV,
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                *self.run_command(*extra),
            ],
            cwd=self.root,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("ab"),
        )
        return self.process


@pytest.fixture
def nobody_daemon() -> Iterator[Any]:
    """A factory of NobodyDaemon on a fresh tree; the tree is removed afterwards."""
    roots: list[Path] = []
    started: list[NobodyDaemon] = []

    def factory(**settings: Any) -> NobodyDaemon:
        root = Path(tempfile.mkdtemp(prefix="bunny-nobody-"))
        root.chmod(0o755)
        roots.append(root)
        daemon = NobodyDaemon(root, settings)
        started.append(daemon)
        return daemon

    yield factory
    for daemon in started:
        daemon.stop()
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
