"""What the character page's models fragment shows: the newest model versions side by side
(record, sample grid, loss plot, files) and the character's training as `bunny status` has it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from daemon.config import Config
from daemon.reports.loss_curves import LossCurves
from daemon.reports.model_versions import ModelVersion, model_versions, versioned_runs
from daemon.reports.status import daemon_running
from daemon.reports.training_status import TrainingLine, training_lines
from daemon.repository import Repository
from daemon.store import utcnow
from daemon.training.run_folder import CHECKPOINT_FILE, read_spec
from daemon.training.training_requests import known_characters
from daemon.web.loss_plot import LossPlot, loss_plot

SHOWN_VERSIONS = 4  # side by side on a laptop's width
MOST_VERSIONS = 40  # a "more" link asks for SHOWN_VERSIONS more, up to this


@dataclass(frozen=True)
class VersionCard:
    model: ModelVersion
    plot: LossPlot | None  # None: the run has no losses recorded
    base_model: str | None  # as the run's spec names it
    files: tuple[str, ...]  # the model's .safetensors files, relative to the library


@dataclass(frozen=True)
class ModelsView:
    character: str
    quoted: str  # the name as one URL path segment
    cards: tuple[VersionCard, ...]
    more: int | None  # the `show` value of the "more" link; None when every version is shown
    training: tuple[TrainingLine, ...]  # the character's runs in progress, asked for, or last
    waits: str | None  # why no run starts now (no device, disk space), as `bunny status` says
    daemon_running: bool


def shown_count(raw: str | None) -> int:
    """The `show` parameter, bounded: a bad value is the default, not an error."""
    try:
        return min(MOST_VERSIONS, max(1, int(raw or SHOWN_VERSIONS)))
    except ValueError:
        return SHOWN_VERSIONS


def models_view(
    repo: Repository, config: Config, character: str, show: int, curves: LossCurves
) -> ModelsView | None:
    """None when there is no such character (as `bunny train` says)."""
    if known_characters(repo, config.library, character) is not None:
        return None
    versions = model_versions(repo, config.library, character, show, curves)
    total = len(versioned_runs(repo, character))
    lines = [line for line in training_lines(repo, config.library) if line.character == character]
    return ModelsView(
        character=character,
        quoted=quote(character, safe=""),
        cards=tuple(_card(version, config.library) for version in versions),
        more=min(MOST_VERSIONS, show + SHOWN_VERSIONS) if total > show else None,
        training=tuple(lines),
        waits=repo.training_wait(),
        daemon_running=daemon_running(repo, utcnow()),
    )


def _card(model: ModelVersion, library: Path) -> VersionCard:
    folder = library / model.folder if model.folder else None
    files = tuple(f"{model.folder}/{name}" for name in _model_files(folder))
    return VersionCard(model, loss_plot(model.loss_curve), _base_model(folder), files)


def _base_model(folder: Path | None) -> str | None:
    if folder is None:
        return None
    try:
        return read_spec(folder).training.base_model
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _model_files(folder: Path | None) -> list[str]:
    if folder is None:
        return []
    return sorted(p.name for p in folder.glob("*.safetensors") if p.name != CHECKPOINT_FILE)
