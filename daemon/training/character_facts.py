"""What the training policy needs to know of a character, read from the database and its
model folders: the same reading for the daemon's training job and for `bunny status`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from daemon.repository import Repository
from daemon.training.policy import CharacterFacts, RunActivity


def character_facts(
    repo: Repository, library: Path, character: str, captioned: int, activity: RunActivity
) -> CharacterFacts:
    return CharacterFacts(
        character=character,
        captioned=captioned,
        trained_basis=trained_basis(repo, library, character),
        last_run_at=last_run_at(repo, character),
        activity=activity,
    )


def trained_basis(repo: Repository, library: Path, character: str) -> int | None:
    """The captioned image count the newest model was decided on; None: no model yet."""
    from daemon.training.run_folder import SUMMARY_FILE, latest_model

    basis = repo.trained_basis(character)
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


def last_run_at(repo: Repository, character: str) -> datetime | None:
    """When the character's newest run ended (or started, if it has not): the cooldown's start."""
    last = repo.last_training_run(character)
    return (last.finished_at or last.started_at) if last else None
