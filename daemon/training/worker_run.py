"""The body of a training run in the worker process (see worker.py): device, base model,
resume, cache, train, model files, samples, training.json, then the rename.

Every phase can be cut by a kill and done again: a run with a checkpoint at its last step
goes straight to writing its files, one with `training.json` only needs its rename.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.log import get_logger
from daemon.training.base_model import load_pipeline
from daemon.training.dataset_freeze import read_frozen
from daemon.training.generation import render_samples
from daemon.training.kohya_header import BaseFamily, LoraRecord
from daemon.training.lora_files import (
    TrainingSummary,
    kohya_file_stem,
    save_lora_files,
    software_versions,
    write_summary,
)
from daemon.training.lora_training import LoraTrainer, StepReport, weight_dtype
from daemon.training.loss_log import LossLog
from daemon.training.policy import training_device
from daemon.training.progress import (
    EXIT_DONE,
    EXIT_NO_DEVICE,
    EXIT_STOPPED,
    State,
    TrainingProgress,
    utc_now,
    write_progress,
)
from daemon.training.run_folder import (
    CHECKPOINT_FILE,
    FROZEN_IMAGES,
    LORA_FILE,
    SUMMARY_FILE,
    RunFolder,
    RunSpec,
    finish_run,
)

log = get_logger("bunny.training")
LOG_EVERY_SECONDS = 30.0
WRITE_EVERY_SECONDS = 1.0
RATE_SMOOTHING = 0.2


class StopRequestedError(BaseException):
    """SIGTERM outside the training loop: nothing to save, the process just ends."""


@dataclass
class StopFlag:
    """Asks the loop to stop: SIGTERM, or the daemon that started this process is gone."""

    parent: int
    requested: bool = False
    in_loop: bool = False

    def __call__(self) -> bool:
        orphaned = sys.platform != "win32" and os.getppid() != self.parent
        return self.requested or orphaned

    def on_signal(self, *_: object) -> None:
        self.requested = True
        if not self.in_loop:
            raise StopRequestedError


class Reporter:
    """progress.json and losses.csv (at most once a second, and at every checkpoint) and
    progress log lines."""

    def __init__(self, folder: Path, steps: int) -> None:
        self.folder = folder
        self._losses = LossLog(folder)
        self.progress = TrainingProgress("starting", steps=steps, pid=os.getpid())
        self._written = self._logged = 0.0
        self._last_step_at: float | None = None
        self._interval: float | None = None

    def set(self, state: State, **changes: Any) -> None:
        self.progress = dataclasses.replace(self.progress, state=state, **changes)
        self._losses.flush()
        write_progress(self.folder, self.progress)
        if state == "training":
            self._last_step_at = time.monotonic()

    def step(self, report: StepReport) -> None:
        now = time.monotonic()
        interval = now - (self._last_step_at or now)
        self._last_step_at = now
        if interval > 0:
            old = self._interval or interval
            self._interval = old + RATE_SMOOTHING * (interval - old)
        rate = 1.0 / self._interval if self._interval else None
        left = (report.steps - report.step) / rate if rate else None
        checkpoint = report.step if report.checkpointed else self.progress.checkpoint_step
        self.progress = dataclasses.replace(
            self.progress,
            step=report.step,
            loss=round(report.smoothed_loss, 5),
            steps_per_second=round(rate, 4) if rate else None,
            seconds_left=round(left, 1) if left is not None else None,
            checkpoint_step=checkpoint,
        )
        self._losses.add(report.step, report.loss, report.smoothed_loss)
        last = report.step == report.steps
        if report.checkpointed or last or now - self._written >= WRITE_EVERY_SECONDS:
            self._losses.flush()
            write_progress(self.folder, self.progress)
            self._written = now
        if last or now - self._logged >= LOG_EVERY_SECONDS:
            self._logged = now
            log.info(
                "training progress",
                step=report.step,
                steps=report.steps,
                loss=self.progress.loss,
                steps_per_second=self.progress.steps_per_second,
                seconds_left=self.progress.seconds_left,
                learning_rate=report.learning_rate,
            )


def run_training(run: RunFolder, spec: RunSpec, stop: StopFlag) -> int:
    config, folder = spec.training, run.partial_dir
    reporter = Reporter(folder, config.steps)
    if (folder / SUMMARY_FILE).exists():
        return _complete(run, reporter)
    choice = training_device(config)
    if choice.device is None:
        log.warning("training waits for a device", reason=choice.reason)
        reporter.set("stopped", error=choice.reason)
        return EXIT_NO_DEVICE
    device = choice.device
    (log.warning if device == "cpu" else log.info)(
        "training device", device=device, reason=choice.reason
    )
    dataset = read_frozen(folder)
    dtype = weight_dtype(device, config.mixed_precision)
    reporter.set("loading", device=device)
    started = time.monotonic()
    pipe = load_pipeline(config.base_model, config.base_model_config, dtype)
    trainer = LoraTrainer(pipe, config, device, folder / CHECKPOINT_FILE)
    start = trainer.resume()
    log.info(
        "base model loaded",
        base_model=config.base_model,
        seconds=round(time.monotonic() - started, 1),
        resumed_from=start or None,
        precision=str(dtype).removeprefix("torch."),
    )
    reporter.progress = dataclasses.replace(
        reporter.progress, step=start, checkpoint_step=start, resumed_from=start or None
    )
    if start < config.steps:
        reporter.set("caching")
        images = [folder / FROZEN_IMAGES / item.file for item in dataset.items]
        trainer.cache(images, [item.caption for item in dataset.items])
        reporter.set("training")
        stop.in_loop = True
        finished = trainer.train(reporter.step, stop)
        stop.in_loop = False
        if not finished:
            reporter.set("stopped", step=trainer.step, checkpoint_step=trainer.step)
            log.info("training stopped", step=trainer.step, checkpoint=trainer.step)
            return EXIT_STOPPED
    reporter.set("saving")
    record = LoraRecord(
        model=run.name,
        output_name=kohya_file_stem(run.name),
        character=spec.character,
        trigger_word=spec.trigger_word,
        family=BaseFamily.of(
            pipe.unet.config.cross_attention_dim, pipe.scheduler.config.prediction_type
        ),
        config=config,
        dataset=dataset,
        steps=trainer.step,
        started_at=_unix_time(spec.created, time.time() - trainer.training_seconds),
        finished_at=time.time(),
    )
    kohya_file = save_lora_files(folder, trainer.lora_state_dict(), trainer.lora_config, record)
    reporter.set("sampling")
    pipe.to(device)
    samples = render_samples(pipe, config, spec.trigger_word, folder, run.name, kohya_file)
    summary = TrainingSummary(
        character=spec.character,
        trigger_word=spec.trigger_word,
        version=spec.version,
        model=run.name,
        base_model=config.base_model,
        base_model_config=config.base_model_config,
        parameters=config,
        dataset_sha256=dataset.list_sha256,
        dataset_images=len(dataset.items),
        dataset_excluded=len(dataset.excluded),
        steps=trainer.step,
        final_loss=trainer.smoothed_loss,
        last_loss=trainer.last_loss,
        duration_seconds=round(trainer.training_seconds, 2),
        device=device,
        precision=str(dtype).removeprefix("torch."),
        resumed_from=tuple(trainer.resumes),
        started=spec.created,
        finished=utc_now(),
        lora_file=LORA_FILE,
        kohya_file=kohya_file,
        samples=samples,
        software=software_versions(),
    )
    write_summary(folder, summary)
    return _complete(run, reporter)


def _unix_time(iso: str, otherwise: float) -> float:
    """A spec's creation time (ISO 8601; empty in runs made by older versions) in seconds."""
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return otherwise


def _complete(run: RunFolder, reporter: Reporter) -> int:
    """Drop what only a resume needed, mark the run done and give it its final name."""
    folder = run.partial_dir
    shutil.rmtree(folder / FROZEN_IMAGES, ignore_errors=True)
    (folder / CHECKPOINT_FILE).unlink(missing_ok=True)
    steps = reporter.progress.steps
    reporter.set("done", step=steps, seconds_left=0.0)
    log.info("training complete", model=run.name, folder=str(run.final_dir))
    for handler in list(logging.getLogger().handlers):  # files in the folder must be closed
        logging.getLogger().removeHandler(handler)  # before a rename on Windows
        handler.close()
    with contextlib.suppress(OSError):  # else the daemon renames it once this process is gone
        finish_run(run)
    return EXIT_DONE
