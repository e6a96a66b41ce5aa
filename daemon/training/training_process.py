"""The daemon's side of a training run: prepare its folder, start the worker process, follow
it, stop it. Imports no torch: the daemon stays small, and a crash or an out-of-memory kill
of the worker leaves the daemon running and gives all the worker's memory back.

    run = prepare_run(library, "Amelie", "amelie", config, min_images=config.training.min_images)
    process = TrainingProcess.start(run)        # also resumes: start() on an unfinished run
    status = process.poll()                     # every few seconds; logs progress and the end
    process.stop(timeout=30)                    # SIGTERM: checkpoint at the end of the step

`unfinished_runs(library)` (run_folder.py) lists runs to resume after a restart, and
`read_progress(run.path)` (progress.py) what `bunny status` shows, with no process at hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from daemon.characters.names import character_name
from daemon.config import Config
from daemon.log import get_logger
from daemon.training.dataset_freeze import freeze_dataset
from daemon.training.image_sources import FrozenSource
from daemon.training.progress import (
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_NO_DEVICE,
    EXIT_STOPPED,
    TrainingProgress,
    read_progress,
    utc_now,
)
from daemon.training.run_folder import (
    OUTPUT_FILE,
    SPEC_FILE,
    RunFolder,
    RunSpec,
    finish_run,
    models_dir,
    next_version,
    write_spec,
)

log = get_logger("bunny.training")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOG_EVERY_SECONDS = 60.0
Outcome = Literal["running", "done", "stopped", "no_device", "failed", "killed"]
_OUTCOMES: dict[int, Outcome] = {
    EXIT_DONE: "done",
    EXIT_STOPPED: "stopped",
    EXIT_NO_DEVICE: "no_device",
    EXIT_FAILED: "failed",
}


@dataclass(frozen=True)
class TrainingStatus:
    run: RunFolder
    exit_code: int | None  # None while the process runs
    progress: TrainingProgress | None

    @property
    def outcome(self) -> Outcome:
        """running, or how it ended; stopped, no_device and killed runs resume on start()."""
        if self.exit_code is None:
            return "running"
        return _OUTCOMES.get(self.exit_code, "killed")


def prepare_run(
    library: Path,
    character: str,
    trigger_word: str,
    config: Config,
    min_images: int = 1,
    sources: Mapping[str, FrozenSource] | None = None,
) -> RunFolder:
    """A new version's folder with its frozen dataset and spec (DatasetRefusedError if the
    dataset has fewer than `min_images` usable images; nothing is left behind then).
    `sources`: where each dataset image (by file name) came from, for dataset.json."""
    if character_name(character) != character:
        raise ValueError(f"{character!r} is not a folder-safe character name")
    models = models_dir(library, character)
    run = RunFolder(models, character, next_version(models, character))
    run.partial_dir.mkdir(parents=True)
    try:
        dataset = library / "characters" / character / "dataset"
        frozen = freeze_dataset(dataset, run.partial_dir, config.training, min_images, sources)
        spec = RunSpec(
            character, trigger_word, run.version, config.training, config.log.level, utc_now()
        )
        write_spec(run.partial_dir, spec)
    except BaseException:
        shutil.rmtree(run.partial_dir, ignore_errors=True)
        raise
    for problem in frozen.excluded:
        log.warning(
            "image left out of training",
            character=character,
            image=problem.file,
            problem=problem.problem,
        )
    log.info(
        "training run prepared",
        character=character,
        run=run.name,
        images=len(frozen.items),
        left_out=len(frozen.excluded),
        dataset=frozen.list_sha256,
    )
    return run


class TrainingProcess:
    def __init__(self, run: RunFolder, process: subprocess.Popen[bytes]) -> None:
        self.run = run
        self._process = process
        self._logged_at = 0.0
        self._logged_step = -1
        self._ended = False

    @classmethod
    def start(cls, run: RunFolder) -> TrainingProcess:
        """Start (or resume) the run in a new `python -m daemon.training.worker` process."""
        folder = run.partial_dir
        if not (folder / SPEC_FILE).is_file():
            raise FileNotFoundError(f"{folder} has no {SPEC_FILE}: not a prepared run")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])
        )
        command = [sys.executable, "-m", "daemon.training.worker", str(folder)]
        with (folder / OUTPUT_FILE).open("ab") as output:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                **_own_group(),
            )
        log.info("training process started", run=run.name, pid=process.pid, folder=str(folder))
        return cls(run, process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self) -> TrainingStatus:
        code = self._process.poll()
        if code == EXIT_DONE and not self.run.complete:
            try:  # where the worker could not rename its own folder (Windows)
                finish_run(self.run)
            except OSError as exc:
                log.error("training run could not be renamed", run=self.run.name, error=str(exc))
        status = TrainingStatus(self.run, code, read_progress(self.run.path))
        self._log(status)
        return status

    def wait(self, timeout: float | None = None) -> TrainingStatus:
        self._process.wait(timeout)
        return self.poll()

    def stop(self, timeout: float = 30.0) -> TrainingStatus:
        """SIGTERM: a checkpoint at the end of the current step; SIGKILL after `timeout`."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("training process did not stop; killing it", pid=self.pid)
                self._process.kill()
                self._process.wait()
        return self.poll()

    def _log(self, status: TrainingStatus) -> None:
        progress, now = status.progress, time.monotonic()
        if status.outcome == "running":
            step = progress.step if progress else 0
            if (
                progress
                and step != self._logged_step
                and now - self._logged_at >= LOG_EVERY_SECONDS
            ):
                self._logged_at, self._logged_step = now, step
                log.info("training progress", run=self.run.name, **_fields(progress))
            return
        if self._ended:
            return
        self._ended = True
        fields = _fields(progress) if progress else {}
        if status.outcome == "done":
            log.info("training finished", run=self.run.name, folder=str(self.run.path), **fields)
        elif status.outcome == "failed":
            error = progress.error if progress else ""
            log.error(
                "training failed", run=self.run.name, error=error or _tail(self.run), **fields
            )
        else:
            log.warning(
                f"training {status.outcome}",
                run=self.run.name,
                exit_code=status.exit_code,
                resumes_from=progress.checkpoint_step if progress else 0,
            )


def _fields(progress: TrainingProgress) -> dict[str, Any]:
    return {
        "state": progress.state,
        "step": progress.step,
        "steps": progress.steps,
        "loss": progress.loss,
        "steps_per_second": progress.steps_per_second,
        "seconds_left": progress.seconds_left,
    }


def _tail(run: RunFolder, lines: int = 5) -> str:
    try:
        text = (run.path / OUTPUT_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])


def _own_group() -> dict[str, Any]:
    """The worker in its own process group: a Ctrl-C at the daemon's terminal reaches only the
    daemon, which stops the worker itself."""
    if sys.platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    return {"start_new_session": True}
