"""Training runs as `bunny status` shows them: the table's rows with their progress files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.repository import Repository, TrainingRunRecord

FINISHED_TRAINING = ("done", "failed", "refused")


@dataclass(frozen=True)
class TrainingLine:
    character: str
    version: int | None
    state: str  # the table's: requested, running, stopped, done, failed, refused
    progress_state: str | None  # progress.json's: loading, caching, training, ...
    step: int | None
    steps: int | None
    loss: float | None
    steps_per_second: float | None
    seconds_left: float | None
    images: int | None
    folder: str | None
    requested_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    summary: str  # one line, as the text status prints it


def training_lines(repo: Repository, library: Path) -> list[TrainingLine]:
    """Runs in progress, stopped or asked for, and each character's newest finished one."""
    runs = repo.training_runs()
    newest = {run.character: run for run in runs if run.state.value in FINISHED_TRAINING}
    shown = [r for r in runs if r.state.value not in FINISHED_TRAINING or newest[r.character] is r]
    return [_training_line(run, library) for run in shown]


def _training_line(run: TrainingRunRecord, library: Path) -> TrainingLine:
    from daemon.training.progress import read_progress
    from daemon.training.run_folder import RunFolder

    progress = None
    if run.folder:
        try:
            progress = read_progress(RunFolder.of(library / run.folder).path)
        except ValueError:
            progress = None
    if run.state.value == "requested":
        summary = "requested with `bunny train`"
    elif progress is not None:
        summary = progress.describe()
    else:
        summary = run.state.value + (f", {run.error}" if run.error else "")
    stale = progress is not None and progress.state not in ("done", "failed", "stopped")
    if progress is not None and stale and run.state.value not in ("running", "requested"):
        # a worker killed mid-step: its progress.json still says what it was doing
        summary = f"{run.state.value} at {progress.step}/{progress.steps}"
        summary += f", {run.error}" if run.error else ""
    return TrainingLine(
        character=run.character,
        version=run.version,
        state=run.state.value,
        progress_state=progress.state if progress else None,
        step=progress.step if progress else run.steps,
        steps=progress.steps if progress else None,
        loss=progress.loss if progress else run.final_loss,
        steps_per_second=progress.steps_per_second if progress else None,
        seconds_left=progress.seconds_left if progress else None,
        images=run.images,
        folder=run.folder,
        requested_at=run.requested_at.isoformat() + "Z",
        started_at=run.started_at.isoformat() + "Z" if run.started_at else None,
        finished_at=run.finished_at.isoformat() + "Z" if run.finished_at else None,
        error=run.error,
        summary=summary,
    )
