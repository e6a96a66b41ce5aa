"""What every layout is, and the export of one character through one of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar, Protocol

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import (
    CharacterDataset,
    ExportedCharacter,
    ExportFormat,
    ExportImage,
    LeftOut,
)
from daemon.exports.safe_names import safe_name


class Layout(Protocol):
    format: ClassVar[ExportFormat]
    suffixes: ClassVar[tuple[str, ...]]  # the image types its trainer reads, lower case

    def write(
        self, dataset: CharacterDataset, folder: ExportFolder, training: TrainingConfig
    ) -> None:
        """Place the images and captions, and the trainer's config, into `folder`."""


def export_character(
    layout: Layout, dataset: CharacterDataset, target: Path, training: TrainingConfig
) -> ExportedCharacter:
    """Into `target/<character>/`; ExportRefusedError when that folder is not empty."""
    kept, left_out = _readable(layout, dataset.images)
    folder = ExportFolder(target / safe_name(dataset.name, "character"))
    layout.write(dataclasses.replace(dataset, images=kept), folder, training)
    return ExportedCharacter(dataset.name, folder.root, len(kept), folder.linked, left_out)


def _readable(
    layout: Layout, images: tuple[ExportImage, ...]
) -> tuple[tuple[ExportImage, ...], tuple[LeftOut, ...]]:
    """The images the layout's trainer reads, one per caption file: `a.jpg` and `a.png`
    would share `a.txt`, and the second would be written over the first."""
    kept: dict[str, ExportImage] = {}
    left_out = []
    for image in images:
        stem = image.source.stem.casefold()  # one file on a case-insensitive file system
        if image.source.suffix.lower() not in layout.suffixes:
            left_out.append(LeftOut(image.name, f"{layout.format.value} reads no such image"))
        elif stem in kept:
            left_out.append(LeftOut(image.name, f"shares its caption with {kept[stem].name}"))
        else:
            kept[stem] = image
    return tuple(kept.values()), tuple(left_out)
