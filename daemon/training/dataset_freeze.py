"""A character's dataset, validated and frozen for one training run.

Each image in `library/characters/NAME/dataset/` is pinned into the run folder first (a hard
link, or a copy where links are not possible): the daemon replaces files with `os.replace`, so
a link keeps the bytes the run started with even if the dataset changes or an image is
deleted while the run trains, or between a kill and its resume. The pinned images are then
checked: every image must decode, have a non-empty `<image>.txt` caption beside it (in the
dataset folder), a sane size and shape, and not repeat another image (same bytes or same
pixels). Images with a problem are left out of the run, each with its reason; the run is
refused when fewer than the required number remain.

`dataset.json` in the run folder records the result: every image with its sha256, size,
caption text and source (the movie and frame it came from, see image_sources.py; absent in
files written before), the images left out and why, and a sha256 of the list itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from daemon.atomic import write_json_atomic
from daemon.config import TrainingConfig
from daemon.training.image_sources import FrozenSource
from daemon.training.progress import utc_now
from daemon.training.run_folder import DATASET_FILE, FROZEN_IMAGES

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class DatasetItem:
    file: str  # the image's name in the dataset folder
    caption: str
    sha256: str
    width: int
    height: int
    source: FrozenSource | None = None  # None: unknown when frozen (or frozen before sources)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DatasetItem:
        source = raw.get("source")
        values = {k: v for k, v in raw.items() if k != "source"}
        return cls(**values, source=FrozenSource.from_json(source) if source else None)


@dataclass(frozen=True)
class DatasetProblem:
    file: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True)
class DatasetCheck:
    items: tuple[DatasetItem, ...]
    problems: tuple[DatasetProblem, ...]


@dataclass(frozen=True)
class FrozenDataset:
    source: str
    items: tuple[DatasetItem, ...]
    excluded: tuple[DatasetProblem, ...]
    list_sha256: str
    frozen_at: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FrozenDataset:
        return cls(
            source=raw["source"],
            items=tuple(DatasetItem.from_json(item) for item in raw["items"]),
            excluded=tuple(DatasetProblem(**item) for item in raw["excluded"]),
            list_sha256=raw["list_sha256"],
            frozen_at=raw["frozen_at"],
        )


class DatasetRefusedError(Exception):
    """Too few usable images; `problems` says what is wrong with the others."""

    def __init__(
        self, folder: Path, usable: int, needed: int, problems: tuple[DatasetProblem, ...]
    ):
        listed = "".join(f"\n  {p}" for p in problems)
        super().__init__(
            f"{folder}: {usable} usable image(s), {needed} needed; {len(problems)} left out{listed}"
        )
        self.usable = usable
        self.needed = needed
        self.problems = problems


def dataset_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def check_dataset(
    folder: Path, config: TrainingConfig, captions: Path | None = None
) -> DatasetCheck:
    """Check the images in `folder`; their captions are in `captions` (default: the same)."""
    items: list[DatasetItem] = []
    problems: list[DatasetProblem] = []
    seen: dict[str, str] = {}  # a digest of bytes or of pixels -> the first image with it
    for image in dataset_images(folder):
        data = image.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        try:
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                width, height = picture.size
                pixels = hashlib.sha256(picture.convert("RGB").tobytes()).hexdigest()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            problems.append(DatasetProblem(image.name, f"unreadable image: {exc}"))
            continue
        problem = _shape_problem(width, height, config)
        caption, caption_problem = _caption(captions or folder, image)
        problem = problem or caption_problem
        for key, kind in ((f"bytes:{digest}", "same bytes"), (f"pixels:{pixels}", "same picture")):
            if not problem and key in seen:
                problem = f"duplicate of {seen[key]} ({kind})"
        if problem:
            problems.append(DatasetProblem(image.name, problem))
            continue
        seen.setdefault(f"bytes:{digest}", image.name)
        seen.setdefault(f"pixels:{pixels}", image.name)
        items.append(DatasetItem(image.name, caption, digest, width, height))
    return DatasetCheck(tuple(items), tuple(problems))


def _shape_problem(width: int, height: int, config: TrainingConfig) -> str:
    if min(width, height) < config.min_image_side:
        least = config.min_image_side
        return f"too small: {width}x{height}, the shorter side must be at least {least} px"
    if max(width, height) / min(width, height) > config.max_aspect_ratio:
        return f"too elongated: {width}x{height}, at most {config.max_aspect_ratio:g}:1"
    return ""


def _caption(folder: Path, image: Path) -> tuple[str, str]:
    path = folder / f"{image.stem}.txt"
    try:
        text = " ".join(path.read_text(encoding="utf-8").split())
    except FileNotFoundError:
        return "", f"no caption ({path.name} is missing)"
    except (OSError, UnicodeDecodeError) as exc:
        return "", f"unreadable caption {path.name}: {exc}"
    return (text, "") if text else ("", f"empty caption ({path.name})")


def list_sha256(items: tuple[DatasetItem, ...]) -> str:
    canonical = [[item.file, item.sha256, item.caption] for item in items]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


def freeze_dataset(
    source: Path,
    run_dir: Path,
    config: TrainingConfig,
    min_images: int,
    sources: Mapping[str, FrozenSource] | None = None,
) -> FrozenDataset:
    """Pin, check and record the dataset for a run; DatasetRefusedError when too few are left.
    `sources`: where each image (by file name) came from, recorded with it."""
    pinned = run_dir / FROZEN_IMAGES
    pinned.mkdir(parents=True, exist_ok=True)
    for image in dataset_images(source):
        _pin(image, pinned / image.name)
    check = check_dataset(pinned, config, captions=source)
    for problem in check.problems:
        (pinned / problem.file).unlink(missing_ok=True)
    if len(check.items) < min_images:
        raise DatasetRefusedError(source, len(check.items), min_images, check.problems)
    known = sources or {}
    items = tuple(replace(item, source=known.get(item.file)) for item in check.items)
    frozen = FrozenDataset(str(source), items, check.problems, list_sha256(items), utc_now())
    write_json_atomic(run_dir / DATASET_FILE, frozen.to_json())
    return frozen


def _pin(image: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(image, target)
    except OSError:
        shutil.copy2(image, target)


def read_frozen(run_dir: Path) -> FrozenDataset:
    raw = json.loads((run_dir / DATASET_FILE).read_text(encoding="utf-8"))
    return FrozenDataset.from_json(raw)
