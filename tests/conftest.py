"""Shared fixtures: generated clips, a library on disk, and a real daemon process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.repository import Repository
from tests.media import write_clip

# The browser tests' fixtures (browser_page, ...), usable by any test of the suite; how the
# tests are shared out between pytest-xdist's workers.
pytest_plugins = ["tests.browser.harness", "tests.parallel_workers"]

ROOT = Path(__file__).resolve().parent.parent
SHARED_MEDIA = ROOT.parent / "shared" / "media"
HAMILTON = SHARED_MEDIA / "faces" / "face_recognition" / "examples"


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def make_clip(clip_dir: Path) -> Callable[..., Path]:
    """A cached factory: the same arguments give the same file, made once per session."""
    made: dict[tuple[Any, ...], Path] = {}

    def factory(name: str = "clip.mp4", **kwargs: Any) -> Path:
        key = (name, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = write_clip(clip_dir / name, **kwargs)
        return made[key]

    return factory


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Stable Diffusion pipeline folder, loaded like a user's base model."""
    from tests.daemon.training.tiny_models import build_tiny_pipeline

    return build_tiny_pipeline(tmp_path_factory.mktemp("base") / "tiny-sd")


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


class DaemonProcess:
    """`bunny run` as a real subprocess on a temporary inbox and library."""

    def __init__(self, root: Path, settings: dict[str, Any]) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.library = root / "library"
        self.config = root / "config.yaml"
        document = {
            "inbox": "inbox",
            "library": "library",
            "watcher": {"quiet_seconds": 1.0, "poll_seconds": 0.1},
            "pipeline": {"retry_backoff_seconds": [1, 1]},
            "log": {"console": "json", "level": "debug"},
            "web": {"port": 0},  # any free port: daemons of tests in parallel never collide
            # Face worker processes take seconds to start, once per daemon: a test that needs
            # them asks (tests/daemon/service/test_face_worker_lifetime.py).
            "faces": {"workers": 1},
        }
        for section, values in settings.items():
            if isinstance(values, dict):
                document.setdefault(section, {}).update(values)
            else:
                document[section] = values
        self.config.write_text(yaml.safe_dump(document), encoding="utf-8")
        (self.inbox / "movies").mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def run_command(self, *extra: str) -> list[str]:
        """`bunny run` on this daemon's config, as a fresh interpreter runs it."""
        return [
            sys.executable,
            "-m",
            "daemon.commands.cli",
            "run",
            "--config",
            str(self.config),
            *extra,
        ]

    def start(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.process = subprocess.Popen(
            self.run_command(*extra),
            cwd=self.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("ab"),
        )
        return self.process

    def run_once(self, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.run_command("--once"),
            cwd=self.root,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 15) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def repository(self) -> Repository:
        return Repository(self.library / "bunny.db")

    def log_entries(self) -> list[dict[str, Any]]:
        import json

        path = self.library / "logs" / "bunny.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def stop(self) -> None:
        if self.alive():
            self.signal(signal.SIGKILL)
            self.wait()


def drop_hamilton_and_lin(daemon: DaemonProcess) -> None:
    """Lin-Manuel Miranda's reference photo (trigger `lmm`, a man) and the Hamilton clip,
    dropped into the daemon's inbox as a user would."""
    import shutil

    lin = daemon.inbox / "faces" / "Lin-Manuel Miranda"
    lin.mkdir(parents=True)
    shutil.copyfile(HAMILTON / "lin-manuel-miranda.png", lin / "reference.png")
    (lin / "character.yaml").write_text("trigger_word: lmm\nclass_word: man\n", encoding="utf-8")
    shutil.copyfile(HAMILTON / "short_hamilton_clip.mp4", daemon.inbox / "movies" / "h.mp4")


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def factory(**settings: Any) -> DaemonProcess:
        process = DaemonProcess(tmp_path, settings)
        started.append(process)
        return process

    yield factory
    for process in started:
        process.stop()
