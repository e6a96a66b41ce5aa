"""A character's model versions for the review page: each run's record, its fixed-seed
sample images (from the model folder's samples/) and its loss curve (losses.csv, or
train.log's progress lines for runs made before it), thinned to a plot's worth of points."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.display_text import REASON_LIMIT, bounded
from daemon.repository import Repository, TrainingRunRecord
from daemon.store import TrainingState
from daemon.training.loss_log import LossPoint, logged_losses, read_losses
from daemon.training.run_folder import LOG_FILE, SAMPLES_DIR, RunFolder, read_spec

MAX_LOSS_POINTS = 500
_SAMPLE = re.compile(r"^(\d+)-seed\d+\.png$")


class LossSource(enum.StrEnum):
    STEPS = "steps"  # every step, from losses.csv
    LOG = "log"  # the smoothed loss every 30 s or so, from train.log
    NONE = "none"


@dataclass(frozen=True)
class SampleImage:
    file: str  # relative to the library
    prompt: str | None  # the sample prompt it was made from, when the run's spec says


@dataclass(frozen=True)
class ModelVersion:
    version: int
    state: TrainingState
    folder: str | None  # relative to the library, as it is now (NAME-vN or NAME-vN.partial)
    images: int | None
    steps: int | None
    final_loss: float | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None  # bounded
    samples: tuple[SampleImage, ...]
    loss_source: LossSource
    loss_curve: tuple[LossPoint, ...]  # by step; at most MAX_LOSS_POINTS, the last included


def model_versions(
    repo: Repository, library: Path, character: str, limit: int | None = None
) -> tuple[ModelVersion, ...]:
    """The character's runs that got a version number, newest first; the newest `limit` only
    when given (each version reads its loss file, which a long run makes megabytes long)."""
    runs = [run for run in reversed(repo.training_runs_of(character)) if run.version is not None]
    return tuple(_version(run, library) for run in runs[:limit])


def _version(run: TrainingRunRecord, library: Path) -> ModelVersion:
    folder = _current_folder(run, library)
    source, curve = _losses(folder)
    assert run.version is not None  # model_versions keeps only these
    return ModelVersion(
        version=run.version,
        state=run.state,
        folder=folder.relative_to(library).as_posix() if folder else None,
        images=run.images,
        steps=run.steps,
        final_loss=run.final_loss,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=bounded(run.error, REASON_LIMIT) if run.error else None,
        samples=_samples(folder, library) if folder else (),
        loss_source=source,
        loss_curve=thinned(curve, MAX_LOSS_POINTS),
    )


def _current_folder(run: TrainingRunRecord, library: Path) -> Path | None:
    if run.folder is None:
        return None
    try:
        folder = RunFolder.of(library / run.folder).path
    except ValueError:
        return None
    return folder if folder.is_dir() else None


def _samples(folder: Path, library: Path) -> tuple[SampleImage, ...]:
    prompts = _sample_prompts(folder)
    found = []
    for image in sorted((folder / SAMPLES_DIR).glob("*.png")):
        match = _SAMPLE.match(image.name)
        index = int(match[1]) - 1 if match else -1
        prompt = prompts[index] if 0 <= index < len(prompts) else None
        found.append(SampleImage(image.relative_to(library).as_posix(), prompt))
    return tuple(found)


def _sample_prompts(folder: Path) -> tuple[str, ...]:
    try:
        spec = read_spec(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    return tuple(p.replace("{trigger}", spec.trigger_word) for p in spec.training.sample_prompts)


def _losses(folder: Path | None) -> tuple[LossSource, tuple[LossPoint, ...]]:
    if folder is None:
        return LossSource.NONE, ()
    recorded = read_losses(folder)
    if recorded:
        return LossSource.STEPS, recorded
    logged = logged_losses(folder / LOG_FILE)
    return (LossSource.LOG, logged) if logged else (LossSource.NONE, ())


def thinned(points: tuple[LossPoint, ...], most: int) -> tuple[LossPoint, ...]:
    """At most `most` points spread evenly over the run, the first and the last kept."""
    if len(points) <= most:
        return points
    last = len(points) - 1
    picks = sorted({round(i * last / (most - 1)) for i in range(most)})
    return tuple(points[i] for i in picks)
