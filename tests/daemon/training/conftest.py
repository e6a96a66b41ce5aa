"""Fixtures for training: tiny-model settings, a small dataset (the tiny base model is built
once per session in tests/conftest.py) and one finished run."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import structlog
from PIL import Image

from daemon.config import Config, LogConfig, TrainingConfig
from daemon.training.progress import TrainingProgress, read_progress
from daemon.training.run_folder import RunFolder
from daemon.training.training_process import TrainingProcess, TrainingStatus, prepare_run
from tests.conftest import wait_for

SIZES = [(48, 48), (64, 40), (40, 64), (56, 56), (64, 48), (48, 64)]
CHARACTER = "Amélie Poulain"
TRIGGER = "amelie"
STEPS = 8  # of the finished run


# AUTOMATIC1111's own pattern for one `Key: value` of the parameters line.
_INFOTEXT_FIELD = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def parse_infotext(text: str) -> tuple[str, str, dict[str, str]]:
    """An A1111 `parameters` text read back the way A1111 reads it: prompt, negative prompt and
    the fields of the last line (quoted values unquoted)."""
    *lines, last = text.split("\n")
    negative = [line for line in lines if line.startswith("Negative prompt: ")]
    prompt = "\n".join(line for line in lines if line not in negative)
    fields = {}
    for key, value in _INFOTEXT_FIELD.findall(last):
        fields[key] = json.loads(value) if value.startswith('"') else value
    return prompt, negative[0].removeprefix("Negative prompt: ") if negative else "", fields


def tiny_training(base_model: Path, **changes: object) -> TrainingConfig:
    """Settings that train the tiny model in a second or two on a CPU."""
    config = TrainingConfig(
        base_model=str(base_model),
        allow_cpu=True,
        min_images=1,
        min_image_side=16,
        rank=4,
        alpha=8.0,
        learning_rate=1e-2,
        lr_warmup_steps=0,
        steps=8,
        batch_size=2,
        resolution=32,
        checkpoint_every=2,
        seed=7,
        sample_prompts=("{trigger}, portrait photo", "{trigger} walking in the street"),
        sample_steps=2,
    )
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def write_image(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A picture with a coloured disc on a gradient: different for every seed."""
    width, height = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    cx, cy, radius = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height, width / 4
    picture = np.zeros((height, width, 3), dtype=np.float32)
    picture[..., 0] = x / width * 255
    picture[..., 1] = y / height * 255
    picture[..., 2] = rng.uniform(0, 255)
    picture[(x - cx) ** 2 + (y - cy) ** 2 < radius**2] = rng.uniform(0, 255, size=3)
    Image.fromarray(picture.astype(np.uint8)).save(path, quality=95)
    return path


def write_dataset(folder: Path, count: int = 6) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for index in range(count):
        image = write_image(folder / f"movie_{index:02d}.jpg", SIZES[index % len(SIZES)], index)
        image.with_suffix(".txt").write_text(f"{TRIGGER}, a woman, shot {index}\n")
        images.append(image)
    return images


@pytest.fixture
def library_with_dataset(tmp_path: Path) -> Path:
    library = tmp_path / "library"
    write_dataset(library / "characters" / CHARACTER / "dataset")
    return library


@pytest.fixture
def make_config(tiny_base_model: Path) -> Callable[..., Config]:
    def factory(library: Path, **changes: object) -> Config:
        training = tiny_training(tiny_base_model, **changes)
        log = LogConfig(level="debug", console="off")
        return Config(library=library, training=training, log=log)

    return factory


@dataclasses.dataclass(frozen=True)
class Trained:
    """One tiny run, stopped, killed and resumed to its end: shared by the tests that read a
    finished model (training takes a while on a small machine)."""

    library: Path
    run: RunFolder
    stopped: TrainingStatus
    killed: TrainingStatus
    done: TrainingStatus


def _progress(run: RunFolder) -> TrainingProgress | None:
    return read_progress(run.path)


def _output(run: RunFolder) -> str:
    return (run.path / "worker.log").read_text(errors="replace")[-3000:]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_base_model: Path) -> Trained:
    library = tmp_path_factory.mktemp("training") / "library"
    write_dataset(library / "characters" / CHARACTER / "dataset")
    training = tiny_training(
        tiny_base_model, steps=STEPS, checkpoint_every=2, step_delay_seconds=0.25
    )
    config = Config(library=library, training=training, log=LogConfig(console="off"))
    run = prepare_run(library, CHARACTER, TRIGGER, config, min_images=6)

    # 1. SIGTERM: the worker stops at the end of its step, with a checkpoint there.
    first = TrainingProcess.start(run)
    wait_for(lambda: (p := _progress(run)) and p.step >= 1, timeout=90)
    stopped = first.stop(timeout=30)
    assert stopped.outcome == "stopped", _output(run)

    # 2. SIGKILL after another checkpoint: the next start resumes from the last one.
    second = TrainingProcess.start(run)
    at_stop = stopped.progress.checkpoint_step if stopped.progress else 0
    wait_for(lambda: (p := _progress(run)) and p.checkpoint_step > at_stop, timeout=90)
    os.kill(second.pid, signal.SIGKILL)
    killed = second.wait(timeout=30)

    # 3. The third process finishes the run.
    done = TrainingProcess.start(run).wait(timeout=120)
    assert done.outcome == "done", _output(run)
    return Trained(library, run, stopped, killed, done)


@pytest.fixture
def own_logging() -> Iterator[None]:
    """The worker's main() run in this process: its logging and SIGTERM handler are undone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    structlog_config, on_term = structlog.get_config(), signal.getsignal(signal.SIGTERM)
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**structlog_config)
    structlog.contextvars.clear_contextvars()
    signal.signal(signal.SIGTERM, on_term)
