"""What becomes of a training run once its worker has ended, written to `training_run`.

done: the model folder is complete; failed: see the error; stopped (SIGTERM, no device,
orphaned) and killed (a crash, out of memory): resumed, except a run whose worker was killed
`MAX_KILLS` times in a row with no new checkpoint in between, which is failed. The count lives
in the table, so a daemon restarted between two kills still sees them.
"""

from __future__ import annotations

import json
from pathlib import Path

from daemon.log import get_logger
from daemon.repository import Repository, RunEnd
from daemon.store import TrainingState
from daemon.training.progress import read_progress
from daemon.training.run_folder import SUMMARY_FILE, RunFolder
from daemon.training.training_process import TrainingStatus

log = get_logger("bunny.training")
MAX_KILLS = 3


class RunOutcomes:
    def __init__(self, repo: Repository, library: Path) -> None:
        self.repo = repo
        self.library = library

    def record(self, status: TrainingStatus, stopping: bool) -> bool:
        """Write how the run ended; True when it is to be started again."""
        run, progress = status.run, status.progress
        steps = progress.step if progress else None
        loss = progress.loss if progress else None
        resume = False
        if status.outcome == "done":
            end = RunEnd(TrainingState.DONE, *self.summary(run, steps, loss))
        elif status.outcome == "failed":
            error = (progress.error if progress else "") or "the worker failed"
            end = RunEnd(TrainingState.FAILED, steps, loss, error)
        elif status.outcome == "running":
            end = RunEnd(TrainingState.STOPPED, steps, loss, "still running at stop")
        elif status.outcome == "killed" and not stopping and self._gives_up(status):
            kills = f"the worker was killed {MAX_KILLS} times in a row (crash or out of memory)"
            log.error("training run given up", run=run.name, error=kills)
            end = RunEnd(TrainingState.FAILED, steps, loss, kills)
        else:
            end = RunEnd(TrainingState.STOPPED, steps, loss, f"{status.outcome}; resumes")
            resume = not stopping
        self.repo.training_ended(run.character, run.version, end)
        return resume

    def _gives_up(self, status: TrainingStatus) -> bool:
        checkpoint = status.progress.checkpoint_step if status.progress else 0
        run = status.run
        return self.repo.training_killed(run.character, run.version, checkpoint) >= MAX_KILLS

    def reconcile(self) -> None:
        """Rows left running by a daemon that died: done, stopped (resumed) or gone."""
        for record in self.repo.training_runs():
            if record.state is not TrainingState.RUNNING or record.version is None:
                continue
            run = RunFolder(
                self.library / "characters" / record.character / "models",
                record.character,
                record.version,
            )
            progress = read_progress(run.path)
            if run.complete:
                end = RunEnd(TrainingState.DONE, *self.summary(run, None, None))
            elif progress is not None and progress.state == "failed":
                end = RunEnd(TrainingState.FAILED, progress.step, progress.loss, progress.error)
            elif run.partial_dir.is_dir():
                end = RunEnd(TrainingState.STOPPED, error="the daemon stopped; resumes")
            else:
                end = RunEnd(TrainingState.FAILED, error="its run folder is gone")
            self.repo.training_ended(record.character, record.version, end)

    @staticmethod
    def summary(
        run: RunFolder, steps: int | None, loss: float | None
    ) -> tuple[int | None, float | None]:
        """Steps and final loss from the finished run's training.json."""
        try:
            raw = json.loads((run.path / SUMMARY_FILE).read_text(encoding="utf-8"))
            return int(raw["steps"]), raw.get("final_loss")
        except (OSError, ValueError, KeyError, TypeError):
            return steps, loss
