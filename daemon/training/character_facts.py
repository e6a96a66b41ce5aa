"""What the training policy needs to know of a character, read from the database and its
model folders: the same reading for the daemon's training job and for `bunny status`."""

from __future__ import annotations

import json
from pathlib import Path

from daemon.repository import Repository, TrainingRunRecord
from daemon.repository.training import last_started, newest_basis
from daemon.training.policy import CharacterFacts, RunActivity


def character_facts(
    repo: Repository, library: Path, character: str, captioned: int, activity: RunActivity
) -> CharacterFacts:
    runs = repo.training_runs_of(character)
    return facts_of_runs(runs, library, character, captioned, activity)


def facts_of_runs(
    runs: list[TrainingRunRecord],
    library: Path,
    character: str,
    captioned: int,
    activity: RunActivity,
) -> CharacterFacts:
    """The same, from the character's runs (oldest first) already read: a list of every
    character reads the table once, not twice per character."""
    last = last_started(runs)
    return CharacterFacts(
        character=character,
        captioned=captioned,
        trained_basis=trained_basis(runs, library, character),
        last_run_at=(last.finished_at or last.started_at) if last else None,  # the cooldown's start
        activity=activity,
    )


def trained_basis(runs: list[TrainingRunRecord], library: Path, character: str) -> int | None:
    """The captioned image count the newest model was decided on; None: no model yet."""
    from daemon.training.run_folder import SUMMARY_FILE, latest_model

    basis = newest_basis(runs)
    if basis is not None:
        return basis
    model = latest_model(library, character)  # a model made before the table
    if model is None:
        return None
    try:
        raw = json.loads((model.path / SUMMARY_FILE).read_text(encoding="utf-8"))
        return int(raw["dataset_images"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0  # a model of unknown size: the next is due at min_images
