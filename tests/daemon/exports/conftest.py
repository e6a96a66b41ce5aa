"""A real library for the exports: a SQLite database with characters, and dataset folders
as the daemon leaves them (images, `.txt` captions, metadata.jsonl, dataset.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.config import Config, LogConfig, TrainingConfig
from daemon.repository import Repository
from handlers.caption_files import write_metadata
from handlers.face_matching import FaceBox
from handlers.kohya_dataset import KohyaSettings, keep_dataset_config

MOVIE = "ab12cd34ef56"


@dataclass(frozen=True)
class Cast:
    name: str
    trigger: str
    class_word: str
    captioned: int


AMELIE = Cast("Amélie Poulain", "amelie", "woman", 6)
NINO = Cast("Nino", "nino", "man", 3)
EMPTY = Cast("Bretodeau", "bretodeau", "man", 0)


def picture(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (48 + seed % 3 * 8, 40, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def add_character(repo: Repository, library: Path, cast: Cast, seed: int) -> list[Path]:
    record = repo.save_character(cast.name, cast.trigger, cast.class_word)
    repo.add_reference(record.id, f"{seed:064x}", f"characters/{cast.name}/reference/r.png",
                       FaceBox(10, 60, 60, 10), tuple([0.01 * seed] * 128))  # fmt: skip
    folder = library / "characters" / cast.name / "dataset"
    folder.mkdir(parents=True)
    images = []
    for n in range(cast.captioned):
        image = picture(folder / f"{MOVIE}_00-00-{n:02d}.000.jpg", seed * 100 + n)
        image.with_suffix(".txt").write_text(f"{cast.trigger}, a {cast.class_word}, shot {n}\n")
        images.append(image)
    return images


@dataclass(frozen=True)
class BuiltLibrary:
    config: Config
    images: dict[str, list[Path]]  # the captioned images of each character

    @property
    def library(self) -> Path:
        return self.config.library


@pytest.fixture
def built(tmp_path: Path) -> BuiltLibrary:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    try:
        images = {c.name: add_character(repo, library, c, s + 1)
                  for s, c in enumerate((AMELIE, NINO, EMPTY))}  # fmt: skip
    finally:
        repo.close()
    amelie = library / "characters" / AMELIE.name / "dataset"
    picture(amelie / f"{MOVIE}_00-01-00.000.jpg", 900)  # not captioned yet
    picture(amelie / f"{MOVIE}_00-01-01.000.jpg", 901).with_suffix(".txt").write_text(" \n")
    webp = picture(amelie / f"{MOVIE}_00-01-02.000.webp", 902)
    webp.with_suffix(".txt").write_text("amelie, a woman, in a webp\n")
    images[AMELIE.name].append(webp)
    for cast in (AMELIE, NINO, EMPTY):  # as the captions stage leaves them
        folder = library / "characters" / cast.name / "dataset"
        write_metadata(folder)
        keep_dataset_config(folder, f"{cast.trigger} {cast.class_word}", KohyaSettings())
    training = TrainingConfig(resolution=512, base_model="/models/sd15")
    config = Config(library=library, training=training, log=LogConfig(console="off"))
    return BuiltLibrary(config, images)
