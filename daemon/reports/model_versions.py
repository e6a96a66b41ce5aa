"""A character's model versions for the review page: each run's record, its fixed-seed
sample images (from the model folder's samples/) and its loss curve (losses.csv, or
train.log's progress lines for runs made before it), thinned to a plot's worth of points."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.display_text import REASON_LIMIT, bounded
from daemon.reports.loss_curves import MAX_LOSS_POINTS as MAX_LOSS_POINTS
from daemon.reports.loss_curves import LossCurves, LossSource, read_curve
from daemon.reports.loss_curves import thinned as thinned
from daemon.repository import Repository, TrainingRunRecord
from daemon.store import TrainingState
from daemon.training.loss_log import LossPoint
from daemon.training.run_folder import SAMPLES_DIR, RunFolder, read_spec

_SAMPLE = re.compile(r"^(\d+)-seed\d+\.png$")


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


def versioned_runs(repo: Repository, character: str) -> list[TrainingRunRecord]:
    """The character's runs that got a version number, newest first."""
    return [run for run in reversed(repo.training_runs_of(character)) if run.version is not None]


def model_versions(
    repo: Repository,
    library: Path,
    character: str,
    limit: int | None = None,
    curves: LossCurves | None = None,
) -> tuple[ModelVersion, ...]:
    """The character's versions, newest first; the newest `limit` only when given (each reads
    its loss file). `curves`: a process's kept curves, else each is read now."""
    runs = versioned_runs(repo, character)[:limit]
    return tuple(_version(run, library, curves) for run in runs)


def _version(run: TrainingRunRecord, library: Path, curves: LossCurves | None) -> ModelVersion:
    folder = _current_folder(run, library)
    curve = curves.of(folder) if curves else read_curve(folder)
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
        loss_source=curve.source,
        loss_curve=curve.points,
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
