"""Each character's training as `bunny status` and `bunny characters` show it: its images,
the threshold, and the one reason its training waits, decided by the daemon's own policy
(training/policy.py); and the clusters of unknown faces waiting for a name."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from daemon.config import Config, TrainingConfig
from daemon.reports.disk_status import DiskLine, paused_reason
from daemon.repository import Repository, TrainingRunRecord
from daemon.store import TrainingState
from daemon.training.character_facts import facts_of_runs
from daemon.training.policy import (
    WOULD_START,
    Blocker,
    Readiness,
    RunActivity,
    TrainingReason,
    character_readiness,
    start_blocker,
    training_device,
)

NAME_COMMAND = "bunny name CLUSTER NAME"
_ACTIVITY = {
    TrainingState.REQUESTED: RunActivity.REQUESTED,
    TrainingState.STOPPED: RunActivity.STOPPED,
    TrainingState.RUNNING: RunActivity.RUNNING,
}
_PRECEDENCE = (RunActivity.NONE, RunActivity.REQUESTED, RunActivity.STOPPED, RunActivity.RUNNING)


@dataclass(frozen=True)
class CharacterTraining:
    character: str
    images: int  # in its dataset
    captioned: int  # of them, with a fresh caption: what training counts
    threshold: int  # captioned images the next run needs
    reason: TrainingReason
    detail: str  # one line
    until: str | None  # the cooldown's end, ISO 8601 UTC


@dataclass(frozen=True)
class ClusterLine:
    cluster: str
    faces: int


@dataclass(frozen=True)
class UnknownClusters:
    count: int
    clusters: list[ClusterLine]
    folder: str  # where their crops are: <library>/unknown/<cluster>/
    command: str  # what names one


@dataclass(frozen=True)
class ReadinessInputs:
    """What is true of the daemon, not of one character."""

    now: datetime
    daemon_running: bool
    paused: str | None  # why new work is paused (disk space), or None


def readiness_inputs(now: datetime, daemon_running: bool, disk: DiskLine | None) -> ReadinessInputs:
    pause = paused_reason(disk)
    return ReadinessInputs(now, daemon_running, f"new work is paused: {pause}" if pause else None)


def character_training(
    repo: Repository, config: Config, inputs: ReadinessInputs, only: str | None = None
) -> list[CharacterTraining]:
    """One line per character, in name order; `only`: the line of that one character (its
    dataset alone counted: a character's page need not count 50,000 images)."""
    return _TrainingOverview(repo, config, inputs, only).lines()


class _TrainingOverview:
    def __init__(
        self, repo: Repository, config: Config, inputs: ReadinessInputs, only: str | None
    ) -> None:
        self._repo, self._config, self._inputs, self._only = repo, config, inputs, only
        runs = repo.training_runs()
        self._activity = _activities(runs, inputs.daemon_running)
        self._runs: dict[str, list[TrainingRunRecord]] = {}
        for run in runs:  # read once for every character, oldest first
            self._runs.setdefault(run.character, []).append(run)
        self._progress = {p.character: p for p in repo.caption_progress(only)}

    def lines(self) -> list[CharacterTraining]:
        names = [character.name for character in self._repo.characters()]
        return [self._line(name) for name in names if self._only in (None, name)]

    def _line(self, name: str) -> CharacterTraining:
        settings = self._config.training
        counts = self._progress.get(name)
        images, captioned = (counts.images, counts.captioned) if counts else (0, 0)
        own = self._activity.get(name, RunActivity.NONE)
        runs = self._runs.get(name, [])
        facts = facts_of_runs(runs, self._config.library, name, captioned, own)
        readiness = character_readiness(facts, settings, self._inputs.now)
        stop = self._blocker if readiness.reason in WOULD_START else None
        reason = stop.reason if stop else readiness.reason
        until = readiness.until.isoformat() + "Z" if readiness.until else None
        detail = _detail(readiness, stop, captioned, images, settings, self._inputs.daemon_running)
        return CharacterTraining(name, images, captioned, readiness.needed, reason, detail, until)

    @functools.cached_property
    def _blocker(self) -> Blocker | None:
        """Asked once, and only when a character would start: the device check loads PyTorch."""
        running = sum(1 for a in self._activity.values() if a is RunActivity.RUNNING)
        settings = self._config.training
        return start_blocker(
            running, settings, self._inputs.paused, lambda: training_device(settings)
        )


def unknown_clusters(repo: Repository, config: Config) -> UnknownClusters:
    clusters = [ClusterLine(c.cluster, c.faces) for c in repo.unknown_clusters()]
    folder = str(config.library / "unknown")
    return UnknownClusters(len(clusters), clusters, folder, NAME_COMMAND)


def _activities(runs: list[TrainingRunRecord], daemon_running: bool) -> dict[str, RunActivity]:
    """Each character's most active run: running over stopped over requested."""
    activity: dict[str, RunActivity] = {}
    for run in runs:
        found = _ACTIVITY.get(run.state, RunActivity.NONE)
        if found is RunActivity.RUNNING and not daemon_running:
            found = RunActivity.STOPPED  # its process is gone: resumed when the daemon starts
        known = activity.get(run.character, RunActivity.NONE)
        if _PRECEDENCE.index(found) > _PRECEDENCE.index(known):
            activity[run.character] = found
    return activity


def _detail(
    readiness: Readiness,
    stop: Blocker | None,
    captioned: int,
    images: int,
    settings: TrainingConfig,
    running: bool,
) -> str:
    if stop is not None:
        return f"would start, but {stop.text}"
    needed = readiness.needed
    next_check = "at the daemon's next check" if running else "once the daemon runs"
    uncaptioned = images - captioned
    verb = "waits" if uncaptioned == 1 else "wait"
    waiting = f"; {uncaptioned} more {verb} for a caption" if uncaptioned > 0 else ""
    match readiness.reason:
        case TrainingReason.TRAINING:
            return "a run is in progress"
        case TrainingReason.RESUMING:
            return f"a stopped run resumes {next_check}"
        case TrainingReason.REQUESTED:
            return f"asked for with `bunny train`: starts {next_check}"
        case TrainingReason.TOO_FEW_IMAGES:
            return (
                f"too few captioned images: {captioned} of {needed} (training.min_images){waiting}"
            )
        case TrainingReason.UP_TO_DATE:
            return (
                f"up to date: the next version at {needed} captioned images, {captioned} now "
                f"(training.growth_fraction {settings.growth_fraction:g}){waiting}"
            )
        case TrainingReason.COOLDOWN if readiness.until is not None:
            return (
                f"cooling down until {readiness.until:%Y-%m-%d %H:%M} UTC "
                f"(training.cooldown_minutes {settings.cooldown_minutes:g} after its last run)"
            )
    return f"due: starts {next_check}"
