"""The training runs behind `bunny lineage`: which finished runs trained on an image (their
frozen dataset.json lists it by file name; its sha256 says whether the bytes are still the
ones trained on), and a run folder's own list of images."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from daemon.training.dataset_freeze import FrozenDataset, read_frozen
from daemon.training.run_folder import SUMMARY_FILE, existing_runs, models_dir


@dataclass(frozen=True)
class ModelUse:
    """A finished run whose dataset held the image."""

    model: str  # NAME-vN
    character: str
    folder: str  # relative to the library
    training_json: str | None  # relative to the library; None when the run has none
    finished: str | None  # when, as training.json says
    sha256: str  # of the image as the run froze it
    same_bytes: bool  # False: the file changed since
    caption: str  # the caption the run trained with


def models_trained_on(
    library: Path, characters: Iterable[str], name: str, sha256: str
) -> tuple[ModelUse, ...]:
    """The finished runs of these characters that list the image `name`, oldest first."""
    uses = []
    for character in sorted(set(characters)):
        for run in existing_runs(models_dir(library, character), character):
            frozen = readable_frozen(run.final_dir) if run.complete else None
            item = next((i for i in frozen.items if i.file == name), None) if frozen else None
            if item is not None:
                summary = run.final_dir / SUMMARY_FILE
                uses.append(
                    ModelUse(
                        model=run.name,
                        character=character,
                        folder=_relative(run.final_dir, library),
                        training_json=_relative(summary, library) if summary.is_file() else None,
                        finished=_finished(summary),
                        sha256=item.sha256,
                        same_bytes=item.sha256 == sha256,
                        caption=item.caption,
                    )
                )
    return tuple(uses)


def readable_frozen(folder: Path) -> FrozenDataset | None:
    """The run's dataset.json, or None when it is missing or not one (edited by hand)."""
    try:
        return read_frozen(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _finished(summary: Path) -> str | None:
    try:
        raw = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = raw.get("finished") if isinstance(raw, dict) else None
    return str(value) if value is not None else None


def _relative(path: Path, library: Path) -> str:
    return path.relative_to(library).as_posix()
