"""scripts/bootstrap.py run, as a user starts it, stopped as a user or a service manager does."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.conftest import ROOT, wait_for


def load_bootstrap(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bootstrap_copy", root / "scripts/bootstrap.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def installed_copy(root: Path) -> None:
    """A copy of the repository's top whose .venv is already installed: its stamp matches,
    so bootstrap installs nothing. Its `bunny` is the console script pip writes, run by
    this interpreter (which, through PYTHONPATH, imports this worktree's daemon)."""
    (root / "scripts").mkdir(parents=True)
    shutil.copyfile(ROOT / "scripts/bootstrap.py", root / "scripts/bootstrap.py")
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    bootstrap = load_bootstrap(root)
    bunny = bootstrap.venv_bin("bunny")
    bunny.parent.mkdir(parents=True)
    bunny.write_text(
        f"#!{sys.executable}\nimport sys\nfrom daemon.commands.cli import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    bunny.chmod(0o755)
    bootstrap.venv_bin("python").symlink_to(sys.executable)
    bootstrap.STAMP.write_text(f"run {bootstrap.recipe()}\n", encoding="utf-8")


def lock_is_free(lock: Path) -> bool:
    import fcntl  # POSIX only, as the test

    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals; Windows waits for its child")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_bootstrap_run_stops_the_daemon_and_frees_the_lock(
    tmp_path: Path, signum: int
) -> None:
    root = tmp_path / "repo"
    installed_copy(root)
    config = tmp_path / "config.yaml"
    document = {"inbox": "inbox", "library": "library", "log": {"console": "off"}}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    lock = tmp_path / "library" / "bunny.lock"
    process = subprocess.Popen(
        [sys.executable, str(root / "scripts/bootstrap.py"), "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr.log").open("wb"),
        start_new_session=True,  # so a leftover can be found, and cleaned up, by its group
    )
    try:
        wait_for(lambda: lock.exists() and lock.read_text().strip(), timeout=60)
        daemon_pid = int(lock.read_text())
        wait_for(lambda: (tmp_path / "library" / "bunny.db").exists(), timeout=60)
        process.send_signal(signum)  # to bootstrap's pid only, as `kill PID` does
        process.wait(timeout=60)
        assert wait_for(lambda: not alive(daemon_pid), timeout=30)
        assert lock_is_free(lock), "the library's lock is still held"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
