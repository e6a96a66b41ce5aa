"""OneTrainer: `images/` with a `.txt` caption beside each image, and `concepts.json`.

A concept is what OneTrainer's ConceptConfig reads (modules/util/config/ConceptConfig.py,
config version 1): the folder in `path`, `text.prompt_source = "sample"` ("From text file per
sample": the `.txt` beside each image), and the repeats as `balancing` with the `REPEATS`
strategy. Keys left out take OneTrainer's defaults (BaseConfig.from_dict). Point the training
config's `concept_file_name` at the file, or load it on the Concepts tab.
"""

from __future__ import annotations

import json
from typing import ClassVar

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import CharacterDataset, ExportFormat
from handlers.kohya_dataset import repeats_for

IMAGES_FOLDER = "images"
CONCEPTS_FILE = "concepts.json"
CONCEPT_VERSION = 1


class OneTrainerLayout:
    format: ClassVar[ExportFormat] = ExportFormat.ONETRAINER
    suffixes: ClassVar[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".webp")

    def write(
        self, dataset: CharacterDataset, folder: ExportFolder, training: TrainingConfig
    ) -> None:
        for image in dataset.images:
            folder.place_with_caption(image, IMAGES_FOLDER)
        concept = {
            "__version": CONCEPT_VERSION,
            "name": dataset.name,
            "path": str(folder.path(IMAGES_FOLDER).resolve()),
            "enabled": True,
            "validation_concept": False,
            "include_subdirectories": False,
            "image_variations": 1,
            "text_variations": 1,
            "balancing": float(repeats_for(len(dataset.images))),
            "balancing_strategy": "REPEATS",
            "loss_weight": 1.0,
            "text": {"prompt_source": "sample", "prompt_path": ""},
        }
        folder.write_text(CONCEPTS_FILE, json.dumps([concept], indent=2, ensure_ascii=False) + "\n")
