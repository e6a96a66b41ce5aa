"""daemon/commands/cli.py run as `python -m daemon.commands.cli`: `--version`, and a bare
`bunny` that prints what it can do instead of a usage error."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

from daemon.commands.cli import installed_version


def bunny(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    env.pop("BUNNY_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "daemon.commands.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    result = bunny("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"bunny {importlib.metadata.version('diffusion-bunny')}"


def test_version_without_the_distribution_says_so() -> None:
    assert installed_version("no-such-distribution-of-bunny") == (
        "unknown (not installed: run from a source tree)"
    )


def test_bare_bunny_prints_the_commands_and_exits_0(tmp_path: Path) -> None:
    result = bunny(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("usage: bunny")
    for command in ("run", "status", "characters", "name", "train", "doctor"):
        assert f"\n    {command} " in result.stdout, command
    assert not list(tmp_path.iterdir()), "printing the help creates nothing"


def test_an_unknown_command_is_still_a_usage_error(tmp_path: Path) -> None:
    result = bunny("no-such-command", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
