"""Where training runs live, and the spec a run is started with.

A run of character NAME is the folder `library/characters/NAME/models/NAME-vN.partial/` while
it is in progress (it survives restarts: a killed run resumes there) and becomes
`NAME-vN/` in one rename once the model, its kohya copy, `training.json` and the sample
images are all written. Versions count up from 1; a partial or failed run keeps its number.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from daemon.atomic import write_json_atomic
from daemon.config import TrainingConfig

LogLevel = Literal["debug", "info", "warning", "error"]

PARTIAL_SUFFIX = ".partial"
SPEC_FILE = "run.json"  # RunSpec: what to train, with the settings frozen at creation
DATASET_FILE = "dataset.json"  # FrozenDataset: the exact images and captions
FROZEN_IMAGES = "dataset"  # the run's own links (or copies) of those images, removed when done
CHECKPOINT_FILE = "checkpoint.pt"  # LoRA weights, optimizer state, step
LOG_FILE = "train.log"  # the worker's structured log (JSON lines)
OUTPUT_FILE = "worker.log"  # the worker's stdout and stderr (tracebacks of hard crashes)
LOCK_FILE = "worker.lock"  # held by the worker that owns the folder
LORA_FILE = "pytorch_lora_weights.safetensors"  # diffusers format: load_lora_weights
SUMMARY_FILE = "training.json"
SAMPLES_DIR = "samples"

_RUN_NAME = re.compile(r"^(?P<character>.+)-v(?P<version>\d+)(?P<partial>\.partial)?$")


@dataclass(frozen=True)
class RunSpec:
    character: str
    trigger_word: str
    version: int
    training: TrainingConfig
    log_level: LogLevel = "info"
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunSpec:
        return cls(
            character=str(raw["character"]),
            trigger_word=str(raw["trigger_word"]),
            version=int(raw["version"]),
            training=training_from_json(raw.get("training", {})),
            log_level=_log_level(raw.get("log_level")),
            created=str(raw.get("created", "")),
        )


def _log_level(value: Any) -> LogLevel:
    levels: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")
    return next((level for level in levels if level == value), "info")


def training_from_json(raw: dict[str, Any]) -> TrainingConfig:
    """The settings a run was created with; keys this version does not know are dropped."""
    known = {f.name for f in dataclasses.fields(TrainingConfig)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in known
    }
    return TrainingConfig(**values)


@dataclass(frozen=True)
class RunFolder:
    models_dir: Path
    character: str
    version: int

    @property
    def name(self) -> str:
        return f"{self.character}-v{self.version}"

    @property
    def final_dir(self) -> Path:
        return self.models_dir / self.name

    @property
    def partial_dir(self) -> Path:
        return self.models_dir / f"{self.name}{PARTIAL_SUFFIX}"

    @property
    def complete(self) -> bool:
        return self.final_dir.is_dir()

    @property
    def path(self) -> Path:
        """The folder as it is now: the final one once complete, else the partial one."""
        return self.final_dir if self.complete else self.partial_dir

    @classmethod
    def of(cls, run_dir: Path) -> RunFolder:
        match = _RUN_NAME.match(run_dir.name)
        if match is None:
            raise ValueError(f"{run_dir} is not a run folder (NAME-vN or NAME-vN.partial)")
        return cls(run_dir.parent, match["character"], int(match["version"]))


def models_dir(library: Path, character: str) -> Path:
    return library / "characters" / character / "models"


def existing_runs(models: Path, character: str) -> list[RunFolder]:
    """Every run of the character, complete or not, by version."""
    runs = set()
    if models.is_dir():
        for child in models.iterdir():
            match = _RUN_NAME.match(child.name)
            if child.is_dir() and match and match["character"] == character:
                runs.add(RunFolder(models, character, int(match["version"])))
    return sorted(runs, key=lambda run: run.version)


def next_version(models: Path, character: str) -> int:
    runs = existing_runs(models, character)
    return runs[-1].version + 1 if runs else 1


def latest_model(library: Path, character: str, version: int | None = None) -> RunFolder | None:
    """The newest complete model of the character (or the given version), if any."""
    complete = [r for r in existing_runs(models_dir(library, character), character) if r.complete]
    if version is not None:
        complete = [r for r in complete if r.version == version]
    return complete[-1] if complete else None


def unfinished_runs(library: Path) -> list[RunFolder]:
    """Partial runs of every character (with a spec): to resume, or to show as failed."""
    found = []
    for spec in sorted((library / "characters").glob(f"*/models/*{PARTIAL_SUFFIX}/{SPEC_FILE}")):
        run = RunFolder.of(spec.parent)
        if not run.complete:
            found.append(run)
    return found


def write_spec(run_dir: Path, spec: RunSpec) -> None:
    write_json_atomic(run_dir / SPEC_FILE, spec.to_json())


def read_spec(run_dir: Path) -> RunSpec:
    return RunSpec.from_json(json.loads((run_dir / SPEC_FILE).read_text(encoding="utf-8")))


def finish_run(run: RunFolder) -> bool:
    """Rename a finished run's folder (one with training.json) to its final name; True if so."""
    if run.complete or not (run.partial_dir / SUMMARY_FILE).exists():
        return run.complete
    run.partial_dir.replace(run.final_dir)
    (run.final_dir / LOCK_FILE).unlink(missing_ok=True)
    return True
