"""Model versions for the models fragment's tests, written as training leaves them: the
rows through the repository, the run folder with its spec, samples and losses.csv (written
by the worker's own LossLog)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from daemon.config import TrainingConfig
from daemon.repository import Repository, RunEnd
from daemon.store import TrainingState
from daemon.training.loss_log import LossLog
from daemon.training.run_folder import RunFolder, RunSpec, models_dir, write_spec

PROMPTS = ("{trigger}, portrait photo", "{trigger} walking in the street")
BASE_MODEL = "runwayml/stable-diffusion-v1-5"


@dataclass(frozen=True)
class Losses:
    steps: int
    loss: float  # the first step's; each next step's is a little lower

    def of(self, step: int) -> tuple[float, float]:
        value = self.loss / step
        return value, value * 1.5


def add_version(
    repo: Repository,
    library: Path,
    character: str,
    version: int,
    losses: Losses | None = None,
    end: RunEnd | None = None,
) -> Path:
    """A finished version (a failed one when `end` says so) with two sample images."""
    end = end or RunEnd(TrainingState.DONE, losses.steps if losses else 10, 0.05)
    run = RunFolder(models_dir(library, character), character, version)
    done = end.state is TrainingState.DONE
    folder = run.final_dir if done else run.partial_dir
    (folder / "samples").mkdir(parents=True)
    training = TrainingConfig(base_model=BASE_MODEL, sample_prompts=PROMPTS)
    write_spec(folder, RunSpec(character, "trigger", version, training))
    for index, colour in ((1, (200, 40, 40)), (2, (40, 40, 200))):
        Image.new("RGB", (64, 64), colour).save(folder / "samples" / f"{index:02d}-seed42.png")
    if done:
        (folder / f"{character}-v{version}.safetensors").write_bytes(b"weights")
    if losses is not None:
        log = LossLog(folder)
        for step in range(1, losses.steps + 1):
            log.add(step, *losses.of(step))
        log.flush()
    relative = run.partial_dir.relative_to(library).as_posix()
    repo.training_started(character, version, relative, 6, 6)
    repo.training_ended(character, version, end)
    return folder
