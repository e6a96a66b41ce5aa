"""A run's progress file, `progress.json` in its folder: written atomically by the worker,
read by the daemon and by `bunny status` (no database, no running daemon needed).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from daemon.atomic import write_json_atomic

PROGRESS_FILE = "progress.json"

# The worker's exit status; a worker killed by a signal (a negative status) is resumable too.
EXIT_DONE = 0
EXIT_FAILED = 1  # see `error` in progress.json
EXIT_NO_DEVICE = 69  # no device may train now (no GPU and training.allow_cpu is false)
EXIT_STOPPED = 75  # asked to stop (SIGTERM) or orphaned: resumable from its checkpoint

# starting: the process is up; loading: the base model; caching: latents and text embeddings;
# training; saving; sampling; done: the model folder is complete; stopped: asked to stop, or
# no device may train now (see `error`), resumable; failed: see `error`.
State = Literal[
    "starting",
    "loading",
    "caching",
    "training",
    "saving",
    "sampling",
    "done",
    "stopped",
    "failed",
]
FINISHED_STATES: tuple[State, ...] = ("done", "stopped", "failed")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class TrainingProgress:
    state: State
    step: int = 0
    steps: int = 0
    loss: float | None = None  # smoothed (exponential moving average over ~20 steps)
    steps_per_second: float | None = None
    seconds_left: float | None = None
    checkpoint_step: int = 0  # the step a restart resumes from
    resumed_from: int | None = None  # this process started from that checkpoint step
    device: str = ""
    pid: int = 0
    updated: str = ""
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line for `bunny status`: `training 120/1500, loss 0.1234, 1.9 steps/s, 12 min left`
        (`failed 40/1500, loss 0.2, <the error>`)."""
        parts = [f"{self.state} {self.step}/{self.steps}"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        if self.steps_per_second and self.state == "training":
            parts.append(f"{self.steps_per_second:.3g} steps/s")
        if self.seconds_left and self.state == "training":
            minutes = self.seconds_left / 60
            parts.append(f"{minutes:.0f} min left" if minutes >= 1 else "under a minute left")
        if self.error:
            parts.append(self.error)
        return ", ".join(parts)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TrainingProgress:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


def write_progress(run_dir: Path, progress: TrainingProgress) -> None:
    stamped = dataclasses.replace(progress, updated=utc_now())
    write_json_atomic(run_dir / PROGRESS_FILE, stamped.to_json())


def read_progress(run_dir: Path) -> TrainingProgress | None:
    """The run's last progress, or None when there is none yet (or it cannot be read)."""
    try:
        raw = json.loads((run_dir / PROGRESS_FILE).read_text(encoding="utf-8"))
        return TrainingProgress.from_json(raw)
    except (OSError, ValueError, TypeError):
        return None
