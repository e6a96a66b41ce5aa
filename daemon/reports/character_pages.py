"""The review page's characters: the list with each one's training count, threshold and the
one reason its training waits (character_overview.py, as `bunny status` says it), and one
character's references and model versions (its dataset grid: dataset_grid.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.config import Config
from daemon.display_text import REASON_LIMIT, bounded
from daemon.reports.character_overview import (
    CharacterTraining,
    ReadinessInputs,
    character_training,
    readiness_inputs,
)
from daemon.reports.disk_status import disk_line
from daemon.reports.model_versions import ModelVersion, model_versions
from daemon.reports.paging import Page, PageRequest
from daemon.reports.status import daemon_running
from daemon.repository import ReferenceView, Repository, TrainingRunRecord
from daemon.store import TrainingState
from daemon.training.policy import TrainingReason


@dataclass(frozen=True)
class CharacterItem:
    name: str  # also its folder under library/characters/ and its address
    references: int
    dataset_images: int
    captioned: int  # with a fresh caption: what training counts
    threshold: int  # captioned images the next run needs
    reason: TrainingReason  # the one reason training waits (or runs)
    detail: str  # that reason in one line, bounded
    until: str | None  # a cooldown's end, ISO 8601 UTC
    newest_model: int | None  # the newest finished version
    latest_run: TrainingState | None  # of its newest run or request


@dataclass(frozen=True)
class CharacterDetail:
    item: CharacterItem
    trigger_word: str
    class_word: str
    references: tuple[ReferenceView, ...]
    models: tuple[ModelVersion, ...]  # newest first


def page_inputs(repo: Repository, config: Config, now: datetime) -> ReadinessInputs:
    """What is true of the daemon now, as `bunny status` reads it."""
    running = daemon_running(repo, now)
    return readiness_inputs(now, running, disk_line(repo, config, running))


def characters_page(
    repo: Repository, config: Config, inputs: ReadinessInputs, request: PageRequest
) -> Page[CharacterItem]:
    """In name order."""
    lines = character_training(repo, config, inputs)
    chosen = lines[request.offset : request.offset + request.per_page]
    return Page.of(_items(repo, chosen), request, len(lines))


def character_detail(
    repo: Repository, config: Config, inputs: ReadinessInputs, name: str
) -> CharacterDetail | None:
    record = repo.character(name)
    line = next(iter(character_training(repo, config, inputs, only=name)), None)
    if record is None or line is None:
        return None
    (item,) = _items(repo, [line])
    return CharacterDetail(
        item=item,
        trigger_word=record.trigger_word,
        class_word=record.class_word,
        references=tuple(repo.references_of(name)),
        models=model_versions(repo, config.library, name),
    )


def _items(repo: Repository, lines: list[CharacterTraining]) -> list[CharacterItem]:
    references = repo.reference_counts()
    runs = _runs_by_character(repo.training_runs())
    return [
        CharacterItem(
            name=line.character,
            references=references.get(line.character, 0),
            dataset_images=line.images,
            captioned=line.captioned,
            threshold=line.threshold,
            reason=line.reason,
            detail=bounded(line.detail, REASON_LIMIT),
            until=line.until,
            newest_model=_newest_model(runs.get(line.character, [])),
            latest_run=runs[line.character][-1].state if line.character in runs else None,
        )
        for line in lines
    ]


def _runs_by_character(runs: list[TrainingRunRecord]) -> dict[str, list[TrainingRunRecord]]:
    """Each character's runs, oldest first."""
    found: dict[str, list[TrainingRunRecord]] = {}
    for run in runs:
        found.setdefault(run.character, []).append(run)
    return found


def _newest_model(runs: list[TrainingRunRecord]) -> int | None:
    done = [r.version for r in runs if r.state is TrainingState.DONE and r.version is not None]
    return max(done, default=None)
