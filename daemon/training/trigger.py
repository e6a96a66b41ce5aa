"""The daemon's training job: which runs start when, and what becomes of them.

`TrainingJob.tick()` is an apscheduler job every `training.poll_seconds`. Each tick it
- follows the running worker processes (progress to the log; the end of each into the
  `training_run` table);
- starts, while fewer than `training.max_concurrent` run, in this order: unfinished runs
  (queued by `resume_unfinished()` at daemon start, and runs stopped or killed since),
  `bunny train NAME` requests (no threshold, no cooldown; validation still applies), then,
  every `training.check_minutes`, characters whose training is due: at least `min_images`
  captioned dataset images and either no model yet or a dataset grown by `growth_fraction`
  since the count the newest model was decided on, and no run of theirs in the last
  `cooldown_minutes`. `datasets_changed()` (a movie done, a correction) makes the next tick
  check at once. The counts come from the database's dataset images, so an image the
  user deleted or moved away lowers its character's count;
- when something would start but no device may train (no GPU and `training.allow_cpu`
  false) or new work is paused (the disk guard), starts nothing and keeps the reason for
  `bunny status`.

`stop_all()` at daemon stop sends every worker SIGTERM (a checkpoint at the end of its step)
and kills those still running after the timeout: either way the run is left in its
`.partial` folder and resumed when the daemon starts again. How each run ended goes to the
table through `RunOutcomes` (run_outcomes.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from daemon.config import Config, TrainingConfig
from daemon.log import get_logger
from daemon.repository import Repository, RunEnd
from daemon.store import TrainingState, utcnow
from daemon.training.character_facts import character_facts
from daemon.training.dataset_freeze import DatasetRefusedError, read_frozen
from daemon.training.policy import (
    DeviceChoice,
    RunActivity,
    TrainingReason,
    character_readiness,
    start_blocker,
    training_device,
)
from daemon.training.progress import read_progress
from daemon.training.run_folder import RunFolder, unfinished_runs
from daemon.training.run_outcomes import RunOutcomes
from daemon.training.training_process import TrainingProcess, TrainingStatus, prepare_run

log = get_logger("bunny.training")


class RunningProcess(Protocol):
    run: RunFolder

    def poll(self) -> TrainingStatus: ...

    def stop(self, timeout: float = 30.0) -> TrainingStatus: ...


Launcher = Callable[[RunFolder], RunningProcess]


class TrainingJob:
    def __init__(
        self,
        repo: Repository,
        config: Config,
        launch: Launcher = TrainingProcess.start,
        device: Callable[[TrainingConfig], DeviceChoice] = training_device,
        clock: Callable[[], datetime] = utcnow,
        paused: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.repo = repo
        self.config = config
        self.library = config.library
        self._launch = launch
        self._device = device
        self._clock = clock
        self._paused = paused  # why no new work may start now (the disk guard), or None
        self._lock = threading.Lock()
        self._running: dict[str, RunningProcess] = {}
        self._resume: list[RunFolder] = []
        self._outcomes = RunOutcomes(repo, config.library)
        self._checked_at: datetime | None = None
        self._recheck = threading.Event()
        self._stopping = False
        self._last_wait: str | None = None

    @property
    def running(self) -> list[RunFolder]:
        # A copy (atomic under the GIL): the heartbeat thread reads it while a tick changes it.
        return [process.run for process in self._running.copy().values()]

    def resume_unfinished(self) -> list[RunFolder]:
        """At daemon start: match the table to the run folders, queue the unfinished runs to
        be started again before any new one, and start them now."""
        with self._lock:
            self._outcomes.reconcile()
            failed = {
                (record.character, record.version)
                for record in self.repo.training_runs()
                if record.state is TrainingState.FAILED
            }
            for run in unfinished_runs(self.library):
                progress = read_progress(run.partial_dir)
                gave_up = (run.character, run.version) in failed
                if gave_up or (progress is not None and progress.state == "failed"):
                    continue  # it stays as it ended; the next version gets a new number
                self._resume.append(run)
                log.info("training run to resume", run=run.name)
            queued = list(self._resume)
        self.tick()
        return queued

    def datasets_changed(self) -> None:
        """Captioned images came or went: the next tick checks who is due, whatever the time."""
        self._recheck.set()

    def tick(self) -> None:
        """The scheduler job; never raises."""
        with self._lock:
            if self._stopping:
                return
            try:
                self._tick()
            except Exception:
                log.exception("training check failed; it runs again at the next tick")

    def stop_all(self, timeout: float) -> None:
        """SIGTERM to every worker, SIGKILL after `timeout` seconds in all: resumed at start."""
        self._stopping = True
        with self._lock:
            deadline = time.monotonic() + timeout
            for name, process in list(self._running.items()):
                left = max(0.5, deadline - time.monotonic())
                status = process.stop(timeout=left)
                self._ended(name, status, stopping=True)

    def _tick(self) -> None:
        self._poll()
        settings = self.config.training
        now = self._clock()
        # Cleared before the check reads the database, so a change after it is not lost.
        recheck = self._recheck.is_set()
        self._recheck.clear()
        check = (
            recheck
            or self._checked_at is None
            or now - self._checked_at >= timedelta(minutes=settings.check_minutes)
        )
        requests = self.repo.training_requests()
        due = self._due_characters(now) if check else []
        if check:
            self._checked_at = now
        if not (self._resume or requests or due):
            self._set_wait(None)
            return
        blocker = start_blocker(
            len(self._running), settings, self._paused(), lambda: self._device(settings)
        )
        if blocker is not None:
            if blocker.reason is not TrainingReason.SLOTS_FULL:  # a full slot is no wait
                self._set_wait(blocker.text)
            return
        self._set_wait(None)
        while self._resume and self._free():
            self._start(self._resume.pop(0), resumed=True)
        for request in requests:
            if not self._free():
                return
            if request.character in self._busy():
                continue  # it waits for the character's run in progress
            self._start_new(request.character, None, request.id)
        for character, basis in due:
            if not self._free():
                return
            if character not in self._busy():
                self._start_new(character, basis, None)

    def _free(self) -> bool:
        return len(self._running) < self.config.training.max_concurrent

    def _busy(self) -> set[str]:
        return {run.character for run in self.running} | {run.character for run in self._resume}

    def _due_characters(self, now: datetime) -> list[tuple[str, int]]:
        due = []
        for progress in self.repo.caption_progress():
            name, images = progress.character, progress.captioned
            facts = character_facts(self.repo, self.library, name, images, self._activity(name))
            readiness = character_readiness(facts, self.config.training, now)
            if readiness.reason is TrainingReason.COOLDOWN:
                log.debug(
                    "training due but cooling down", character=name, until=str(readiness.until)
                )
            elif readiness.reason is TrainingReason.DUE:
                due.append((name, images))
        return due

    def _activity(self, character: str) -> RunActivity:
        if character in {run.character for run in self.running}:
            return RunActivity.RUNNING
        if character in {run.character for run in self._resume}:
            return RunActivity.STOPPED
        return RunActivity.NONE  # its `bunny train` request is started before the due ones

    def _start_new(self, character: str, basis: int | None, request_id: int | None) -> None:
        settings = self.config.training
        record = self.repo.character(character)
        trigger = record.trigger_word if record else character
        # A run by hand skips the threshold; validation still refuses an unusable dataset.
        least = 1 if request_id is not None else settings.min_images
        try:
            sources = self.repo.frozen_sources(character)
            run = prepare_run(self.library, character, trigger, self.config, least, sources)
        except (DatasetRefusedError, ValueError, OSError) as exc:
            log.warning("training run refused", character=character, error=str(exc))
            self.repo.training_refused(character, str(exc), request_id)
            return
        if basis is None:
            basis = self._captioned(character)
        images = len(read_frozen(run.partial_dir).items)
        self.repo.training_started(
            character, run.version, self._relative(run), basis, images, request_id
        )
        self._start(run, resumed=False)

    def _start(self, run: RunFolder, resumed: bool) -> None:
        try:
            process = self._launch(run)
        except OSError as exc:
            log.error("training process could not start", run=run.name, error=str(exc))
            self.repo.training_ended(
                run.character, run.version, RunEnd(TrainingState.FAILED, error=str(exc))
            )
            return
        if resumed:  # its row says running again
            self.repo.training_started(run.character, run.version, self._relative(run), None, None)
        self._running[run.name] = process

    def _poll(self) -> None:
        for name, process in list(self._running.items()):
            status = process.poll()
            if status.outcome != "running":
                self._ended(name, status, stopping=False)

    def _ended(self, name: str, status: TrainingStatus, stopping: bool) -> None:
        self._running.pop(name, None)
        if self._outcomes.record(status, stopping):
            self._resume.append(status.run)

    def _captioned(self, character: str) -> int:
        counts = {p.character: p.captioned for p in self.repo.caption_progress()}
        return counts.get(character, 0)

    def _relative(self, run: RunFolder) -> str:
        return run.partial_dir.relative_to(self.library).as_posix()

    def _set_wait(self, reason: str | None) -> None:
        if reason != self._last_wait:
            if reason:
                log.warning("training waits", reason=reason)
            self.repo.save_training_wait(reason)
            self._last_wait = reason
