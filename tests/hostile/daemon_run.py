"""One real `bunny run` for the hostile suite, as root or as an unprivileged user, and the
`bunny` commands a user would type beside it, run as the same user."""

from __future__ import annotations

import enum
import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

NOBODY = 65534
# The daemon's address space is capped: a memory bomb then fails in the daemon, quickly,
# instead of taking the (shared) test machine down with it. It needs under 2 GiB.
ADDRESS_SPACE_BYTES = 4 * 1024**3
QUIET_SECONDS = 2.0  # well above the 0.4 s between the chunks of the growing file
RESCAN_MINUTES = 0.1  # a full rescan every 6 s: rescans meet every input several times
COMMAND_TIMEOUT = 60


class Variant(enum.StrEnum):
    ROOT = "root"
    UNPRIVILEGED = "unprivileged"

    @property
    def prefix(self) -> list[str]:
        if self is Variant.ROOT:
            return []
        ids = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        return ["setpriv", *ids]


def write_config(root: Path) -> Path:
    document = {
        "inbox": "inbox",
        "library": "library",
        "after_done": "keep",
        "watcher": {
            "quiet_seconds": QUIET_SECONDS,
            "poll_seconds": 0.2,
            "rescan_minutes": RESCAN_MINUTES,
        },
        "pipeline": {
            "stages": ["probe", "shots", "frames", "quality"],
            "workers": 2,
            "retry_backoff_seconds": [1, 1],
        },
        "disk": {"min_free_gb": 0},
        "log": {"console": "json", "level": "info"},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


@dataclass(frozen=True)
class CommandAnswer:
    returncode: int | None  # None: it did not answer within COMMAND_TIMEOUT
    stdout: bytes
    stderr: bytes


class HostileDaemon:
    def __init__(self, root: Path, variant: Variant) -> None:
        self.root, self.variant = root, variant
        self.config = write_config(root)
        self.temp = root / "home"  # HOME and TMPDIR: outside the tree, watched like the rest
        self.environment = dict(
            os.environ, PYTHONUNBUFFERED="1", HOME=str(self.temp), TMPDIR=str(self.temp)
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [*self._bunny(), "run", "--config", str(self.config)]
        with (self.root / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=self.root,
                env=self.environment,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=_cap_memory,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def memory(self) -> str:
        """The daemon's peak resident and virtual memory, as the kernel counts them."""
        if self.process is None or not self.alive():
            return "unknown (not running)"
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        resident, virtual = fields.get("VmHWM", "?").strip(), fields.get("VmPeak", "?").strip()
        return f"peak resident {resident}, peak virtual {virtual}"

    def stop(self) -> None:
        if self.process is None or not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def command(self, *arguments: str) -> CommandAnswer:
        try:
            done = subprocess.run(
                [*self._bunny(), *arguments, "--config", str(self.config)],
                cwd=self.root,
                env=self.environment,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return CommandAnswer(None, exc.stdout or b"", exc.stderr or b"")
        return CommandAnswer(done.returncode, done.stdout, done.stderr)

    def status_says_running(self) -> tuple[bool, str]:
        """`bunny status --json`: whether it answered that the daemon runs, and what it said."""
        answer = self.command("status", "--json")
        try:
            running = bool(json.loads(answer.stdout)["daemon_running"])
        except (ValueError, KeyError, TypeError):
            running = False
        said = f"exit {answer.returncode}: {(answer.stdout or answer.stderr)[-300:]!r}"
        return running and answer.returncode in (0, 1), said

    def _bunny(self) -> list[str]:
        return [*self.variant.prefix, sys.executable, "-m", "daemon.commands.cli"]
