"""Hugging Face `imagefolder`: the images and `metadata.jsonl` (`file_name`, `text`), for
`datasets.load_dataset("imagefolder", data_dir=...)`; a folder of these is its `train` split."""

from __future__ import annotations

import json
from typing import ClassVar

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import CharacterDataset, ExportFormat
from handlers.caption_files import METADATA_FILE


class ImageFolderLayout:
    format: ClassVar[ExportFormat] = ExportFormat.IMAGEFOLDER
    suffixes: ClassVar[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".webp")

    def write(
        self, dataset: CharacterDataset, folder: ExportFolder, training: TrainingConfig
    ) -> None:
        lines = []
        for image in dataset.images:
            folder.place(image.source, image.name)
            row = {"file_name": image.name, "text": image.caption}
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        folder.write_text(METADATA_FILE, "".join(lines))
