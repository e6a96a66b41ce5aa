"""Fixtures for training: tiny-model settings and a small dataset (the tiny base model is
built once per session in tests/conftest.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.config import Config, LogConfig, TrainingConfig

SIZES = [(48, 48), (64, 40), (40, 64), (56, 56), (64, 48), (48, 64)]
CHARACTER = "Amélie Poulain"
TRIGGER = "amelie"


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
