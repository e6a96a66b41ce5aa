"""Training through the real daemon process, on the tiny base model.

The first test needs no media: a dataset folder, `bunny train`, the daemon killed with
SIGKILL mid-run, then its worker killed too, and still one finished model whose steps
resumed exactly from the checkpoints, then `bunny generate` with it. The second drops a real
clip and a reference photo and waits, with no other action, for a LoRA with its samples.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from daemon.repository import TrainingRunRecord
from daemon.store import TrainingState
from daemon.training.progress import TrainingProgress, read_progress
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin, wait_for
from tests.daemon.training.conftest import parse_infotext, write_dataset

STEPS = 40


def training_settings(base_model: Path, **changes: Any) -> dict[str, Any]:
    """Settings that train the tiny model on a CPU, slowed down enough to be killed mid-run."""
    settings = {
        "base_model": str(base_model),
        "allow_cpu": True,
        "min_image_side": 16,
        "rank": 4,
        "alpha": 8,
        "learning_rate": 0.01,
        "lr_warmup_steps": 0,
        "steps": STEPS,
        "batch_size": 2,
        "resolution": 32,
        "checkpoint_every": 5,
        "sample_prompts": ["{trigger}, portrait photo", "{trigger} in the street"],
        "sample_steps": 2,
        "poll_seconds": 0.5,
        "check_minutes": 0.05,
        "cooldown_minutes": 0,
        "step_delay_seconds": 0.15,
    }
    settings.update(changes)
    return settings


def bunny(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon.commands.cli", *args, "--config", str(daemon.config)],
        capture_output=True,
        text=True,
        cwd=daemon.root,
        timeout=300,
        check=False,
    )


def progress_of(folder: Path) -> TrainingProgress | None:
    return read_progress(folder) if folder.is_dir() else None


def done_runs(daemon: DaemonProcess) -> list[TrainingRunRecord]:
    repo = daemon.repository()
    try:
        return [run for run in repo.training_runs() if run.state is TrainingState.DONE]
    finally:
        repo.close()


def gone_or_zombie(pid: int) -> bool:
    """A worker whose parent died belongs to init, which may not reap it in a container."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.slow
def test_a_run_survives_a_killed_daemon_and_a_killed_worker_then_generates(
    daemon_factory: Callable[..., DaemonProcess], tiny_base_model: Path
) -> None:
    daemon = daemon_factory(training=training_settings(tiny_base_model))
    write_dataset(daemon.library / "characters" / "Ann" / "dataset", count=6)
    partial = daemon.library / "characters" / "Ann" / "models" / "Ann-v1.partial"
    daemon.start()
    wait_for(lambda: any(e["event"] == "daemon started" for e in daemon.log_entries()))
    asked = bunny(daemon, "train", "Ann")
    assert asked.returncode == 0 and "training of Ann requested" in asked.stdout, asked

    # 1. The daemon is killed: its orphaned worker notices, saves its step and stops.
    first = wait_for(
        lambda: (p := progress_of(partial)) and p.checkpoint_step >= 5 and p, timeout=180
    )
    daemon.signal(signal.SIGKILL)
    daemon.wait()
    stopped = wait_for(
        lambda: (p := progress_of(partial)) and p.state == "stopped" and p, timeout=60
    )
    assert stopped.step == stopped.checkpoint_step >= first.checkpoint_step
    wait_for(lambda: gone_or_zombie(first.pid), timeout=30)

    # 2. A new daemon resumes it from that step; then its worker is killed outright.
    daemon.start()
    resumed = wait_for(
        lambda: (
            (p := progress_of(partial))
            and p.resumed_from == stopped.step
            and p.checkpoint_step >= stopped.step + 5
            and p
        ),
        timeout=180,
    )
    os.kill(resumed.pid, signal.SIGKILL)
    at_kill = progress_of(partial)
    assert at_kill is not None and at_kill.checkpoint_step < STEPS

    # 3. The daemon sees the kill, counts it, starts the run again, and it ends.
    final = daemon.library / "characters" / "Ann" / "models" / "Ann-v1"
    wait_for(lambda: (final / "training.json").is_file(), timeout=240)
    [run] = wait_for(lambda: done_runs(daemon), timeout=30)
    assert (run.version, run.steps, run.images, run.forced) == (1, STEPS, 6, True)
    assert run.kills == 1
    summary = json.loads((final / "training.json").read_text(encoding="utf-8"))
    # Nothing was lost to the daemon's kill; the worker's kill lost only the steps after
    # its last checkpoint.
    assert summary["resumed_from"] == [stopped.step, at_kill.checkpoint_step]
    assert summary["steps"] == STEPS and summary["dataset_images"] == 6
    assert (final / "pytorch_lora_weights.safetensors").is_file()
    assert (final / "Ann-v1.safetensors").is_file()
    assert sorted(p.name for p in (final / "samples").glob("*.png")) == [
        "01-seed1234.png",
        "02-seed1234.png",
    ]
    assert not partial.exists()

    made = bunny(daemon, "generate", "Ann", "{trigger} smiling", "-n", "1", "--seed", "5",
                 "--steps", "2", "--size", "32")  # fmt: skip
    assert made.returncode == 0, made.stderr
    [picture] = [Path(line) for line in made.stdout.split()]
    with Image.open(picture) as image:
        assert image.size == (32, 32)
        parameters = image.info["parameters"]
    prompt, _, fields = parse_infotext(parameters)
    assert prompt == "Ann smiling <lora:Ann-v1:1>"
    assert (fields["Seed"], fields["Size"], fields["Lora hashes"][:8]) == ("5", "32x32", "Ann-v1: ")
    assert "image 1/1 done in " in made.stderr  # not a terminal: a line per image

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    log = (daemon.library / "logs" / "bunny.log").read_text(encoding="utf-8")
    assert "training killed" in log and "training finished" in log


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_captioned_frames_of_a_movie_become_a_lora_with_no_user_action(
    daemon_factory: Callable[..., DaemonProcess], tiny_base_model: Path
) -> None:
    settings = training_settings(
        tiny_base_model, min_images=2, steps=6, step_delay_seconds=0, checkpoint_every=3
    )
    daemon = daemon_factory(training=settings)
    drop_hamilton_and_lin(daemon)
    daemon.start()

    character = daemon.library / "characters" / "Lin-Manuel Miranda"
    final = character / "models" / "Lin-Manuel Miranda-v1"
    wait_for(lambda: (final / "training.json").is_file(), timeout=300)
    captioned = sorted(p.name for p in (character / "dataset").glob("*.txt"))
    summary = json.loads((final / "training.json").read_text(encoding="utf-8"))
    assert summary["dataset_images"] == len(captioned) >= 2
    assert summary["trigger_word"] == "lmm" and summary["steps"] == 6
    assert len(list((final / "samples").glob("*.png"))) == 2
    [run] = wait_for(lambda: done_runs(daemon), timeout=30)
    assert not run.forced and run.basis_images == len(captioned)
