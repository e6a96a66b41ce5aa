"""What every layout is, and the export of one character through one of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar, Protocol

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import CharacterDataset, ExportedCharacter, ExportFormat
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
    readable = tuple(i for i in dataset.images if i.source.suffix.lower() in layout.suffixes)
    left_out = tuple(i.name for i in dataset.images if i not in readable)
    folder = ExportFolder(target / safe_name(dataset.name, "character"))
    layout.write(dataclasses.replace(dataset, images=readable), folder, training)
    return ExportedCharacter(dataset.name, folder.root, len(readable), folder.linked, left_out)
