"""systemd/diffusion-bunny.service: systemd's own verifier accepts it, and it says what the
daemon relies on (notify, the stop sequence, the writable paths, the default config)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from daemon.config import PipelineConfig
from daemon.service.scheduler import HEARTBEAT_SECONDS
from tests.conftest import ROOT

UNIT = ROOT / "systemd" / "diffusion-bunny.service"
SHIPPED_BUNNY = "/opt/diffusion-bunny/.venv/bin/bunny"


def settings() -> dict[str, list[str]]:
    """Each key's values in order (systemd allows a key more than once, e.g. Environment)."""
    found: dict[str, list[str]] = {}
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def seconds(value: str) -> float:
    units = {"s": 1, "min": 60, "h": 3600}
    for suffix, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze not installed (Debian's systemd package provides it)",
)
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's bunny, as a user
    # with another install path would in a drop-in.
    bunny = ROOT / ".venv" / "bin" / "bunny"
    if not bunny.exists():
        bunny = Path(shutil.which("bunny") or "/nonexistent")
    assert bunny.exists(), "the bunny command is installed with the project"
    text = UNIT.read_text(encoding="utf-8")
    assert SHIPPED_BUNNY in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(SHIPPED_BUNNY, str(bunny)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", "no warnings either"


def test_the_unit_runs_the_daemon_the_way_it_expects() -> None:
    unit = settings()
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    [command] = unit["ExecStart"]
    assert command.split() == [SHIPPED_BUNNY, "run", "--config", "/etc/diffusion-bunny/config.yaml"]
    assert unit["Restart"] == ["on-failure"] and seconds(unit["RestartSec"][0]) >= 10
    # The daemon stops its own workers; systemd must wait longer than it does.
    assert unit["KillMode"] == ["mixed"]
    assert seconds(unit["TimeoutStopSec"][0]) >= PipelineConfig().stop_timeout_seconds + 10
    # The main loop pings at a third of the interval; far more than a heartbeat is allowed.
    assert seconds(unit["WatchdogSec"][0]) >= 10 * HEARTBEAT_SECONDS
    assert unit["OOMPolicy"] == ["continue"], "a killed training worker is the daemon's to handle"
    assert unit["User"] == ["bunny"]


def test_the_hardening_leaves_the_inbox_and_library_writable() -> None:
    unit = settings()
    assert unit["NoNewPrivileges"] == ["yes"] and unit["PrivateTmp"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"] and unit["ProtectHome"] == ["read-only"]
    writable = [Path(p) for value in unit["ReadWritePaths"] for p in value.split()]
    readme = (ROOT / "systemd" / "README.md").read_text(encoding="utf-8")
    for folder in ("inbox", "library"):
        path = Path("/srv/diffusion-bunny") / folder
        assert (
            f"{folder}: {path}" in readme.replace("#", " ").replace("  ", " ")
            or str(path) in readme
        )
        assert any(path.is_relative_to(root) for root in writable), path
    # Model downloads go to the cache folder systemd makes writable for the service.
    assert "HF_HOME=/var/cache/diffusion-bunny/huggingface" in unit["Environment"]
    assert unit["CacheDirectory"] == ["diffusion-bunny"]
